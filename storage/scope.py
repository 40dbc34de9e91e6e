"""What an asking member may see: their village, their commune, their province, or (the operator) all."""

from __future__ import annotations

from dataclasses import dataclass

from storage.errors import DomainError
from storage.models import Member
from storage.vocab import ROLE_PROVINCE_VIEWER, VILLAGE_ROLES


@dataclass(frozen=True)
class Scope:
    """What an asker may see: None role is the operator (CLI, benchmarks), who sees everything."""

    role: str | None = None
    province_code: int | None = None
    commune_code: int | None = None
    village_id: int | None = None

    @classmethod
    def of(cls, member: Member) -> Scope:
        """The scope of a member: their role and their areas."""
        return cls(member.role, member.province_code, member.commune_code, member.village_id)

    @classmethod
    def operator(cls) -> Scope:
        """The operator's scope (CLI, benchmarks): every area."""
        return cls()

    @property
    def village_only(self) -> int | None:
        """The one village a team member is limited to (None: no such limit)."""
        return self.village_id if self.role in VILLAGE_ROLES else None

    def allows_commune(self, commune_code: int, province_code: int) -> bool:
        """Whether the asker may see this commune (of this province)."""
        if self.role is None:
            return True
        if self.role == ROLE_PROVINCE_VIEWER:
            return self.province_code == province_code
        return self.commune_code == commune_code

    def allows_province(self, province_code: int) -> bool:
        """Whether the asker may see this province as a whole."""
        return self.role is None or (self.role == ROLE_PROVINCE_VIEWER and self.province_code == province_code)

    def check_commune(self, commune_code: int, province_code: int) -> None:
        """Refuse (out_of_scope) a commune the asker may not see."""
        if not self.allows_commune(commune_code, province_code):
            raise DomainError("out_of_scope")

    def check_province(self, province_code: int) -> None:
        """Refuse (out_of_scope) a province the asker may not see."""
        if not self.allows_province(province_code):
            raise DomainError("out_of_scope")

    def check_country(self) -> None:
        """Refuse (out_of_scope) the whole country to anyone but the operator."""
        if self.role is not None:
            raise DomainError("out_of_scope")
