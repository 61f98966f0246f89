"""API keys, their credits (one per analyzed image, whichever API asked) and their daily usage."""

from datetime import date

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from . import keys
from .database import Database, utc_now
from .keys import CreditsExhausted, KeyInfo
from .tables import ApiKeyRow, UsageRow


def _key_info(row: ApiKeyRow) -> KeyInfo:
    return KeyInfo(id=row.id, name=row.name, created_at=row.created_at, revoked_at=row.revoked_at, credits=row.credits)


def refund_in(session: Session, key_id: str, amount: int) -> None:
    """Give ``amount`` credits back within the caller's transaction (an unlimited key stays so)."""
    session.execute(
        update(ApiKeyRow)
        .where(ApiKeyRow.id == key_id, ApiKeyRow.credits.is_not(None))
        .values(credits=ApiKeyRow.credits + amount)
        .execution_options(synchronize_session=False)
    )


class KeyRecords(Database):
    def create_key(self, name: str, credits: int | None = None) -> tuple[KeyInfo, str]:
        """A new key and its token; the token is returned once and never stored.

        ``credits``: images it may have analyzed; None for no limit."""
        if credits is not None and credits < 0:
            raise ValueError("credits cannot be negative")
        secret = keys.new_secret()
        row = ApiKeyRow(
            id=keys.new_key_id(), name=name, secret_hash=keys.hash_secret(secret), created_at=utc_now(), credits=credits
        )
        with self._session() as session:
            session.add(row)
        return _key_info(row), keys.token(row.id, secret)

    def list_keys(self) -> list[KeyInfo]:
        with self._session() as session:
            rows = session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.id)).all()
        return [_key_info(row) for row in rows]

    def get_key(self, key_id: str) -> KeyInfo | None:
        with self._session() as session:
            row = session.get(ApiKeyRow, key_id)
        return _key_info(row) if row is not None else None

    def has_keys(self) -> bool:
        with self._session() as session:
            return session.scalar(select(func.count()).select_from(ApiKeyRow)) > 0

    def revoke_key(self, key_id: str) -> bool:
        """True when an active key was revoked; False when there is none by that id."""
        with self._session() as session:
            result = session.execute(
                update(ApiKeyRow)
                .where(ApiKeyRow.id == key_id, ApiKeyRow.revoked_at.is_(None))
                .values(revoked_at=utc_now())
            )
            return result.rowcount == 1

    def verify_token(self, token: str) -> KeyInfo | None:
        """The active key this bearer token belongs to, else None."""
        pair = keys.split_token(token)
        return self.verify_pair(*pair) if pair else None

    def verify_pair(self, key_id: str, secret: str) -> KeyInfo | None:
        """Same check as ``verify_token``, for clients that send id and secret separately."""
        with self._session() as session:
            row = session.get(ApiKeyRow, key_id)
        if row is None or row.revoked_at is not None or not keys.secret_matches(secret, row.secret_hash):
            return None
        return _key_info(row)

    def charge(self, key_id: str, amount: int = 1) -> int | None:
        """Take ``amount`` credits from an active key in one conditional UPDATE, so concurrent
        requests (on any number of servers) can never spend more than the balance.

        Returns the balance left (None: unlimited); raises CreditsExhausted, taking nothing,
        when the balance is short."""
        with self._session() as session:
            taken = session.execute(
                update(ApiKeyRow)
                .where(
                    ApiKeyRow.id == key_id,
                    ApiKeyRow.revoked_at.is_(None),
                    or_(ApiKeyRow.credits.is_(None), ApiKeyRow.credits >= amount),
                )
                .values(credits=ApiKeyRow.credits - amount)  # NULL (unlimited) stays NULL
                .returning(ApiKeyRow.credits)
                .execution_options(synchronize_session=False)
            ).first()
            if taken is not None:
                return taken.credits
            balance = session.scalar(select(ApiKeyRow.credits).where(ApiKeyRow.id == key_id))
        raise CreditsExhausted(
            f"API key {key_id} has {balance or 0} credits left and this request needs {amount}"
            f" (one per image): top it up with `pixelproof keys credit {key_id} N`"
        )

    def refund(self, key_id: str, amount: int = 1) -> None:
        """Give back credits charged for a request that then failed."""
        with self._session() as session:
            refund_in(session, key_id, amount)

    def add_credits(self, key_id: str, amount: int) -> KeyInfo | None:
        """Top up a key (an unlimited key stays unlimited); None when there is no such key."""
        if amount < 1:
            raise ValueError("a top-up must add at least one credit")
        return self._update_credits(key_id, ApiKeyRow.credits + amount)

    def set_credits(self, key_id: str, credits: int | None) -> KeyInfo | None:
        """Set a key's balance (None: unlimited); None when there is no such key."""
        if credits is not None and credits < 0:
            raise ValueError("credits cannot be negative")
        return self._update_credits(key_id, credits)

    def _update_credits(self, key_id: str, value, *conditions) -> KeyInfo | None:
        with self._session() as session:
            session.execute(
                update(ApiKeyRow)
                .where(ApiKeyRow.id == key_id, *conditions)
                .values(credits=value)
                .execution_options(synchronize_session=False)
            )
            row = session.get(ApiKeyRow, key_id)
            return _key_info(row) if row is not None else None

    def record_usage(self, key_id: str, images: int = 1) -> None:
        insert = self._insert(UsageRow).values(api_key_id=key_id, day=utc_now().date(), images=images)
        with self._session() as session:
            session.execute(
                insert.on_conflict_do_update(
                    index_elements=[UsageRow.api_key_id, UsageRow.day], set_={"images": UsageRow.images + images}
                )
            )

    def usage(self, key_id: str) -> dict[date, int]:
        """Images analyzed per day with this key."""
        with self._session() as session:
            rows = session.execute(
                select(UsageRow.day, UsageRow.images).where(UsageRow.api_key_id == key_id).order_by(UsageRow.day)
            ).all()
        return {day: images for day, images in rows}
