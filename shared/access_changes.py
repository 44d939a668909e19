"""What a change request does to a system access: the difference, as a pure rule.

A change request names rights and packages the access must hold (``required``) and must not
hold (``unwanted``); everything else stays as it is. The change is what that means for one
access as it is now: what gets added, what gets removed. Intake computes it when the vendor
asks (nothing to change: ``NoChangeNeeded``), approval again when the party approves (the
access may have changed in between), and both apply it the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["AccessChange", "apply_change", "change_of"]


@dataclass(frozen=True, slots=True)
class AccessChange:
    """Rights and packages a change adds to and removes from one access, in the order asked."""

    rights_added: tuple[str, ...] = ()
    rights_removed: tuple[str, ...] = ()
    packages_added: tuple[str, ...] = ()
    packages_removed: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        """Nothing to add and nothing to remove: the access already is as asked."""
        return not (self.rights_added or self.rights_removed or self.packages_added or self.packages_removed)


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def change_of(
    rights: Iterable[str],
    packages: Iterable[str],
    *,
    required_rights: Iterable[str] = (),
    unwanted_rights: Iterable[str] = (),
    required_packages: Iterable[str] = (),
    unwanted_packages: Iterable[str] = (),
) -> AccessChange:
    """The change that makes an access holding ``rights`` and ``packages`` hold every required
    item and no unwanted one. Items both required and unwanted are the caller's error to refuse."""
    held_rights, held_packages = set(rights), set(packages)
    return AccessChange(
        rights_added=_unique(r for r in required_rights if r not in held_rights),
        rights_removed=_unique(r for r in unwanted_rights if r in held_rights),
        packages_added=_unique(p for p in required_packages if p not in held_packages),
        packages_removed=_unique(p for p in unwanted_packages if p in held_packages),
    )


def apply_change(
    rights: Iterable[str], packages: Iterable[str], change: AccessChange
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The rights and packages after ``change``: kept ones in their order, then the added ones.

    Applying a change twice gives the same result as once, so a replayed event changes nothing."""
    gone_rights, gone_packages = set(change.rights_removed), set(change.packages_removed)
    new_rights = _unique((*(r for r in rights if r not in gone_rights), *change.rights_added))
    new_packages = _unique((*(p for p in packages if p not in gone_packages), *change.packages_added))
    return new_rights, new_packages
