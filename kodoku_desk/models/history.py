"""The history chain: one link per row of each chained history table (hand-off events,
disclosures, consents and their withdrawals, plan events and evaluations, override reviews).

A link holds the SHA-256 of its row's canonical content and is chained to the link before it,
like the audit log's entries; the chain's head lives in settings (`history_head`). The rules
that write and verify the links are in services/history_chain.py; migration 0010_history_chain
created the table and linked the rows that existed then."""

from __future__ import annotations

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from kodoku_desk.models.base import Base


class HistoryLink(Base):
    __tablename__ = "history_links"
    id: Mapped[int] = mapped_column(primary_key=True)  # the position in the chain: 1, 2, 3 …
    table_name: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[int] = mapped_column()
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the row's canonical content
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of (id, prev_hash, table, row, digest)


# One link per row; the verifier looks each row's link up through it.
Index("ix_history_links_table_row", HistoryLink.table_name, HistoryLink.row_id, unique=True)
