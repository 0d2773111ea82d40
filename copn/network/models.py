"""Reference data and the member organisations of the network."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from copn.extensions import db


class Province(db.Model):
    """One of the 34 provincial-level units in force since 1 July 2025."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(100), unique=True)
    name_en: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))  # "province" or "city"
    formed_from: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"<Province {self.id} {self.name_en}>"

    def name(self, locale: str) -> str:
        return self.name_vi if locale == "vi" else self.name_en


class OrganisationType(db.Model):
    """What kind of body a member is (government agency, NGO, enterprise...)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_vi: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))

    def __repr__(self) -> str:
        return f"<OrganisationType {self.code}>"

    def name(self, locale: str) -> str:
        return self.name_vi if locale == "vi" else self.name_en


class NetworkRole(db.Model):
    """A member's role in the network (coordinating body, standing agency...)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_vi: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))

    def __repr__(self) -> str:
        return f"<NetworkRole {self.code}>"

    def name(self, locale: str) -> str:
        return self.name_vi if locale == "vi" else self.name_en


organisation_network_role = Table(
    "organisation_network_role",
    db.metadata,
    Column(
        "organisation_id",
        ForeignKey("organisation.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "network_role_id",
        ForeignKey("network_role.id", ondelete="RESTRICT"),
        primary_key=True,
    ),
)


class Organisation(db.Model):
    """A member organisation of the network."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(255), unique=True)
    name_en: Mapped[str] = mapped_column(String(255), default="")
    short_name: Mapped[str] = mapped_column(String(40), default="")
    # Vietnamese name folded to ASCII lower case, for searching without diacritics.
    search_name: Mapped[str] = mapped_column(String(600), index=True, default="")
    type_id: Mapped[int] = mapped_column(
        ForeignKey("organisation_type.id", ondelete="RESTRICT")
    )
    joined_on: Mapped[date | None]
    withdrawn_on: Mapped[date | None]

    type: Mapped[OrganisationType] = relationship(lazy="joined")
    network_roles: Mapped[list[NetworkRole]] = relationship(
        secondary=organisation_network_role, lazy="selectin"
    )

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.short_name or self.name_en}>"

    def name(self, locale: str) -> str:
        return self.name_vi if locale == "vi" or not self.name_en else self.name_en
