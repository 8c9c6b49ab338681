"""会議 (docs/DOMAIN.md §7), one module per part of the screen:

- page.py            the page: the session list beside the two tabs; loads, and reloads on a
                     change (Change.MEETING, PLAN, CASE, ORG)
- sessions.py        the session list (upcoming first)
- session_editor.py  the session's form, its parts as tabs, saving and the packet export
- parts.py           one part: what its kind allows, its members, its agenda
- members.py         a part's members (agencies, staff, outside members)
- agenda.py          a part's agenda and the case picker (the service's refusals shown there)
- packets.py         the packet export dialog (format, redaction, PDF password, path)
- redaction.py       匿名化の確認: every replacement of a redacted packet, terms to add
- decisions.py       after the meeting: decisions per case, role changes, the minutes

The meeting-kind rule, consent checks and the plan lifecycle live in services/meetings.py,
services/meeting_packets.py and domain/plan.py; this screen collects input and shows answers."""

from kodoku_desk.ui.pages.meetings.page import MeetingsPage

__all__ = ["MeetingsPage"]
