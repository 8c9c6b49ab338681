"""Screens of the main window. Each page is a QWidget subclass of pages.base.Page."""
