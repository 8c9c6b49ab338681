"""新規受付, one module per part of the screen:

- page.py           the page: puts the parts together, loads the organisation, shows the part
                    being typed in, the urgent banner, self-entry, printing, saving
- person_search.py  the person search and the duplicate warning (never merged automatically)
- sheet_form.py     the 「つながる」シート rendered from the template, section by section
- field_editors.py  one editor per template field type, and the 和暦/西暦 date input
- household.py      世帯構成, one row per member
- consent.py        同意 as entered, and whether it covers an agency (domain.consent)
- routing_rows.py   つなぎ先の候補: the suggestions kept or removed, the worker's additions
- handoff_rows.py   つなぎ先: one HandoffEditor per next agency
- attachments.py    the scans added to the sheet
- save_flow.py      the input collected, the save on the runner, where an error is shown
- look.py           the parts' colours and badges, the error style
"""

from kodoku_desk.ui.pages.intake.page import IntakePage

__all__ = ["IntakePage"]
