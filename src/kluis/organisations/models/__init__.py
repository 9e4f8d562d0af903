"""Organisations (tenants), their municipalities, teams, people, roles and policy.

ORG-1: everything that belongs to an organisation carries a foreign key to it, and every query a
person makes goes through `scoped()` (permissions.py), so nothing crosses tenants.
"""

from .policy import Policy
from .roles import (
    FOOTAGE_ROLES,
    NO_FOOTAGE_ROLES,
    Membership,
    MembershipQuerySet,
    ReportingLine,
    ReportingLineQuerySet,
    Role,
    RoleRequest,
)
from .tenants import Municipality, Organisation, Team
from .users import User

__all__ = [
    "FOOTAGE_ROLES",
    "NO_FOOTAGE_ROLES",
    "Membership",
    "MembershipQuerySet",
    "Municipality",
    "Organisation",
    "Policy",
    "ReportingLine",
    "ReportingLineQuerySet",
    "Role",
    "RoleRequest",
    "Team",
    "User",
]
