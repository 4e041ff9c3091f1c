"""AWS accounts of the lab: each has admin credentials (the account's root), created on first use."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from labkit.errors import LabError
from labkit.sim.ids import SECRET_ALPHABET, UPPER_ALNUM, IdSource
from labkit.sim.sessions import Credentials

DEFAULT_ACCOUNT_ID = "111122223333"
_ACCOUNT_ID = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class Account:
    """One account: its id and the admin (root) credentials the lab hands to `Lab.client`."""

    account_id: str
    admin: Credentials

    @property
    def root_arn(self) -> str:
        """The account principal, `arn:aws:iam::<id>:root`."""
        return f"arn:aws:iam::{self.account_id}:root"


class Accounts:
    """The accounts the lab knows, keyed by id and by admin access key id."""

    def __init__(self, ids: IdSource) -> None:
        self._ids = ids
        self._by_id: dict[str, Account] = {}
        self._by_key: dict[str, Account] = {}
        self._lock = threading.Lock()

    def get(self, account_id: str) -> Account:
        """The account with this id, created (with fresh admin keys) on first use."""
        if not _ACCOUNT_ID.match(account_id):
            raise LabError(f"an AWS account id is 12 digits, not {account_id!r}")
        with self._lock:
            account = self._by_id.get(account_id)
            if account is None:
                account = self._by_id[account_id] = self._create(account_id)
                self._by_key[account.admin.access_key_id] = account
            return account

    def ids(self) -> tuple[str, ...]:
        """The ids of the accounts in use."""
        return tuple(self._by_id)

    def by_admin_key(self, access_key_id: str) -> Account | None:
        """The account whose admin access key this is, if any."""
        return self._by_key.get(access_key_id)

    def _create(self, account_id: str) -> Account:
        admin = Credentials(
            access_key_id="AKIA" + self._ids.fixed("admin-key", account_id, length=16, alphabet=UPPER_ALNUM),
            secret_access_key=self._ids.fixed("admin-secret", account_id, length=40, alphabet=SECRET_ALPHABET),
        )
        return Account(account_id, admin)
