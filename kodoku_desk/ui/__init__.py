"""PySide6 user interface. The only package that imports Qt."""

import sys

if sys.version_info < (3, 12):  # pragma: no branch - depends on the interpreter
    # PySide6 6.12 (the version installed here) gives back Py_None from void C++ methods
    # (setText, addWidget, resizeSection …) without taking a reference. On Python 3.12+ None is
    # immortal and nothing happens; on 3.11 every such call leaves None's reference count one
    # too low, and a session that makes enough of them ends in "Fatal Python error:
    # none_dealloc" (seen at exit after opening a case with hundreds of timeline rows). Until
    # the dependency is fixed (a PySide6 without the bug, or Python 3.12), None, True and False
    # get the margin 3.12's immortal objects have: a count that cannot reach zero.
    import ctypes

    for _obj in (None, True, False):
        ctypes.c_ssize_t.from_address(id(_obj)).value += 1 << 40
    del _obj, ctypes
