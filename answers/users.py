"""Accounts, passwords, sign-in links, API tokens and login throttling.

Service functions take the `session` keyword-only and commit once per use case; every
security-relevant change appends an audit event in the same transaction. No Flask here:
the web layer passes the request's IP and the configured `LoginPolicy`.

Secrets and how they are stored:
- passwords: argon2id (argon2-cffi's RFC 9106 low-memory profile), rehashed on login when
  the parameters change. Slow on purpose: passwords are low-entropy and guessable.
- API tokens (`ab_...`) and sign-in links (`abl_...`): 32 random bytes from `secrets`, shown
  once, stored as SHA-256 hex in `ApiToken.token_hash` with the first 12 characters in
  `ApiToken.prefix` to find the row. A plain SHA-256 is enough for 256-bit random secrets
  (no dictionary to attack, preimage search is infeasible) and keeps the per-request check
  cheap; argon2 on every API call would cost ~150 ms of CPU. Compared in constant time.
- Sign-in links share the `ApiToken` table (no extra schema): their prefix starts with
  `abl_`, which no API token prefix can, and they are never accepted as bearer tokens.
  Single use (`revoked_at` is set when used) and they expire after `link_hours`.
- browser sessions: the signed session cookie carries a 32-byte random secret whose SHA-256
  is `LoginSession.secret_hash` (found by that digest: an attacker cannot steer a digest's
  bytes, so an index lookup leaks nothing). A row ends when revoked (sign-out ends only
  its own row) or after `lifetime` without a request; `last_seen_at` is written at most
  once a minute, not on every request.

Ending every session of a user (sign out everywhere, a password change, deactivation) does
two things: it bumps `User.session_epoch`, which every cookie carries, so that no cookie
issued before works whatever state its row is in; and it revokes the user's open rows, so
the account page lists only live sessions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, or_
from sqlmodel import Session, col, func, select

from answers import audit
from answers.models import ApiToken, AuditEvent, LoginSession, Role, User, utcnow

API_TOKEN_PREFIX = "ab_"  # noqa: S105 - a marker, not a secret
LINK_TOKEN_PREFIX = "abl_"  # noqa: S105 - a marker, not a secret
_LOOKUP_CHARS = 12
ROLE_RANK = {Role.sales: 1, Role.curator: 2, Role.admin: 3}
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
TOKEN_USE_AUDIT_SECONDS = 60
SESSION_SEEN_SECONDS = 60  # last_seen_at is written at most this often per session
USER_AGENT_CHARS = 300

_hasher = PasswordHasher()
# Verified against when the account does not exist, so that both paths cost the same.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class UserError(ValueError):
    """Bad input for an account operation; the message can be shown to the user."""


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5  # per account, then locked
    lock_minutes: int = 15
    ip_max_failures: int = 20  # per client IP within the window, then refused
    ip_window_minutes: int = 15


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    reason: str  # "ok" or why it failed (audit only: the user sees one generic message)


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite and `timestamp without time zone` give naive datetimes back: they are UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def has_role(user: User, minimum: Role) -> bool:
    return ROLE_RANK[Role(user.role)] >= ROLE_RANK[minimum]


def normalise_email(email: str) -> str:
    """Lower-cased, stripped; `user@domain.tld`, or `user@localhost` for a local first admin."""
    value = (email or "").strip().lower()
    local, at, domain = value.partition("@")
    if (
        not at
        or not local
        or not domain
        or any(c.isspace() for c in value)
        or "@" in domain
        or ("." not in domain and domain != "localhost")
        or len(value) > 320
    ):
        raise UserError(f"not an email address: {email!r}")
    return value


def get_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email.strip().lower())).first()


def count_users(session: Session) -> int:
    return session.exec(select(func.count()).select_from(User)).one()


# --- accounts ------------------------------------------------------------------------


def create_user(
    session: Session, email: str, role: Role | str, *, actor: str = "system", ip: str | None = None
) -> User:
    """Create an account without a password (it signs in with a link and sets one).
    Raises UserError for a bad address or when the address is taken."""
    email = normalise_email(email)
    try:
        role = Role(role)
    except ValueError:
        raise UserError(f"unknown role: {role!r}") from None
    if get_by_email(session, email) is not None:
        raise UserError(f"a user with the email {email} already exists")
    user = User(email=email, role=role)
    session.add(user)
    session.flush()
    audit.record(
        session,
        "user.created",
        actor=actor,
        object_type="user",
        object_id=user.id,
        ip=ip,
        details={"email": email, "role": role.value},
    )
    session.commit()
    return user


def set_password(
    session: Session, user: User, password: str, *, actor: str | None = None, ip: str | None = None
) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UserError(f"the password must have at most {MAX_PASSWORD_LENGTH} characters")
    user.password_hash = _hasher.hash(password)
    # whoever held a session (a stolen cookie, a forgotten browser) must sign in with the
    # new password (the web layer opens a new one for the browser that changed it); API
    # tokens are separate credentials and stay (revoked one by one)
    ended = _end_all_sessions(session, user)
    user.failed_logins = 0
    user.locked_until = None
    session.add(user)
    audit.record(
        session,
        "user.password_set",
        actor=actor or user.email,
        object_type="user",
        object_id=user.id,
        ip=ip,
        details={"sessions_ended": ended} if ended else None,
    )
    session.commit()


def verify_password(session: Session, user: User, password: str, *, ip: str | None = None) -> bool:
    """Re-check a signed-in user's password (before changing it); a miss is audited."""
    try:
        ok = bool(user.password_hash) and _hasher.verify(user.password_hash or "", password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if not ok:
        audit.record(
            session, "auth.password_check_failed", actor=user.email, object_type="user", object_id=user.id, ip=ip
        )
        session.commit()
    return ok


def change_role(session: Session, user: User, role: Role | str, *, actor: str, ip: str | None = None) -> None:
    try:
        new = Role(role)
    except ValueError:
        raise UserError(f"unknown role: {role!r}") from None
    old = Role(user.role)
    if new == old:
        return
    if old == Role.admin and _other_active_admins(session, user) == 0:
        raise UserError("the last active admin cannot lose the admin role")
    user.role = new
    session.add(user)
    audit.record(
        session,
        "user.role_changed",
        actor=actor,
        object_type="user",
        object_id=user.id,
        ip=ip,
        details={"email": user.email, "before": old.value, "after": new.value},
    )
    session.commit()


def set_active(session: Session, user: User, active: bool, *, actor: str, ip: str | None = None) -> None:
    """Deactivate (sessions and tokens stop working at once) or reactivate an account."""
    if user.active == active:
        return
    if not active and Role(user.role) == Role.admin and _other_active_admins(session, user) == 0:
        raise UserError("the last active admin cannot be deactivated")
    user.active = active
    details: dict[str, object] = {"email": user.email}
    if not active:
        details["sessions_ended"] = _end_all_sessions(session, user)
    session.add(user)
    audit.record(
        session,
        "user.activated" if active else "user.deactivated",
        actor=actor,
        object_type="user",
        object_id=user.id,
        ip=ip,
        details=details,
    )
    session.commit()


def _other_active_admins(session: Session, user: User) -> int:
    query = select(func.count()).select_from(User).where(User.role == Role.admin, User.active, User.id != user.id)
    return session.exec(query).one()


def logout_everywhere(session: Session, user: User, *, ip: str | None = None) -> None:
    """End every session of `user` (this browser's too); API tokens stay."""
    _end_sessions_audited(session, user, "auth.logout_everywhere", actor=user.email, ip=ip)


def end_sessions_of(session: Session, user: User, *, actor: str, ip: str | None = None) -> int:
    """An admin ends every browser session of `user` (a lost laptop, a shared screen),
    without deactivating the account: they sign in again. API tokens stay. Returns how
    many sessions were open."""
    return _end_sessions_audited(
        session, user, "user.sessions_ended", actor=actor, ip=ip, details={"email": user.email}
    )


def _end_sessions_audited(
    session: Session, user: User, action: str, *, actor: str, ip: str | None, details: dict | None = None
) -> int:
    """`_end_all_sessions`, audited as `action` with the count in `sessions_ended`; commits."""
    ended = _end_all_sessions(session, user)
    audit.record(
        session,
        action,
        actor=actor,
        object_type="user",
        object_id=user.id,
        ip=ip,
        details={**(details or {}), "sessions_ended": ended},
    )
    session.commit()
    return ended


def live_session_counts(session: Session, *, lifetime: dt.timedelta, now: dt.datetime | None = None) -> dict[int, int]:
    """{user id: number of live browser sessions} (as ``list_sessions`` counts them), for
    the users page; users without one are absent."""
    query = select(LoginSession.user_id, func.count()).where(*_live(lifetime, now)).group_by(LoginSession.user_id)
    return {user_id: count for user_id, count in session.exec(query)}


def record_logout(session: Session, user: User, login: LoginSession | None, *, ip: str | None = None) -> None:
    """Sign-out: ends this browser's session `login` only (a copy of its cookie stops
    working too); the user's other sessions go on."""
    if login is not None and login.user_id == user.id and login.revoked_at is None:
        login.revoked_at = utcnow()
        session.add(login)
    audit.record(
        session,
        "auth.logout",
        actor=user.email,
        object_type="user",
        object_id=user.id,
        ip=ip,
        details={"session": login.id} if login is not None else None,
    )
    session.commit()


# --- login ---------------------------------------------------------------------------


def recent_ip_failures(session: Session, ip: str | None, minutes: int) -> int:
    """Failed logins from `ip` in the last `minutes`, counted from the audit trail (so the
    limit holds across worker processes and restarts)."""
    if not ip:
        return 0
    since = utcnow() - dt.timedelta(minutes=minutes)
    query = (
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "auth.login_failed", AuditEvent.ip == ip, AuditEvent.at >= since)
    )
    return session.exec(query).one()


def authenticate(
    session: Session, email: str, password: str, *, ip: str | None = None, policy: LoginPolicy = LoginPolicy()
) -> LoginResult:
    """Check a password login. Failures are audited with the address tried (never the
    password) and count towards the account lock and the per-IP limit; a locked account
    is refused even with the right password. The caller shows one generic message."""
    attempted = (email or "").strip().lower()[:320]
    now = utcnow()

    def fail(reason: str, user: User | None = None, **extra: object) -> LoginResult:
        audit.record(
            session,
            "auth.login_failed",
            actor=attempted or "anonymous",
            object_type="user",
            object_id=user.id if user else None,
            ip=ip,
            details={"email": attempted, "reason": reason, **extra},
        )
        session.commit()
        return LoginResult(None, reason)

    if recent_ip_failures(session, ip, policy.ip_window_minutes) >= policy.ip_max_failures:
        return fail("ip_throttled")
    user = get_by_email(session, attempted) if attempted else None
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    try:
        matches = _hasher.verify(stored, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        matches = False
    if user is None:
        return fail("unknown_user")
    locked_until = aware(user.locked_until)
    if locked_until is not None and locked_until > now:
        return fail("locked", user)
    if not user.active:
        return fail("inactive", user)
    if not user.password_hash or not matches:
        user.failed_logins += 1
        extra: dict[str, object] = {}
        if user.failed_logins >= policy.max_failures:
            user.locked_until = now + dt.timedelta(minutes=policy.lock_minutes)
            user.failed_logins = 0
            extra["locked_for_minutes"] = policy.lock_minutes
        session.add(user)
        return fail("bad_password" if user.password_hash else "no_password", user, **extra)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    _signed_in(session, user, ip=ip, method="password")
    return LoginResult(user, "ok")


def _signed_in(session: Session, user: User, *, ip: str | None, method: str) -> None:
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = utcnow()
    session.add(user)
    audit.record(
        session,
        "auth.login",
        actor=user.email,
        object_type="user",
        object_id=user.id,
        ip=ip,
        details={"method": method},
    )
    session.commit()


# --- browser sessions ----------------------------------------------------------------


def open_session(
    session: Session,
    user: User,
    *,
    ip: str | None,
    user_agent: str | None,
    lifetime: dt.timedelta,
    replaces: LoginSession | None = None,
    now: dt.datetime | None = None,
) -> tuple[LoginSession, str]:
    """A new browser session for `user` (just signed in): returns the row and the secret
    for the cookie, which is not stored. `replaces`: the session this browser had until
    now (signing in again, or as someone else), ended since its cookie is overwritten.
    Dead sessions of every user are deleted first (`prune_sessions`), so the table holds
    about the live sessions only."""
    now = now or utcnow()
    if replaces is not None and replaces.revoked_at is None:
        replaces.revoked_at = now
        session.add(replaces)
        session.flush()
    prune_sessions(session, lifetime=lifetime, now=now)
    secret = secrets.token_urlsafe(32)
    row = LoginSession(
        user_id=user.id,
        secret_hash=_digest(secret),
        created_at=now,
        last_seen_at=now,
        ip=ip,
        user_agent=(user_agent or "")[:USER_AGENT_CHARS],
    )
    session.add(row)
    session.commit()
    return row, secret


def check_session(
    session: Session,
    secret: object,
    *,
    user_id: object,
    epoch: object,
    lifetime: dt.timedelta,
    now: dt.datetime | None = None,
) -> tuple[User, LoginSession] | None:
    """The active user and live session a cookie's (`secret`, `user_id`, `epoch`) stand
    for, or None: unknown or revoked secret, idle longer than `lifetime`, another user's
    session, an epoch from before "sign out everywhere", a deactivated account.
    Refreshes `last_seen_at` when it is SESSION_SEEN_SECONDS old or older (one write a
    minute per session, not one per request)."""
    if not isinstance(secret, str) or not 20 <= len(secret) <= 100:
        return None
    now = now or utcnow()
    found = session.exec(
        select(LoginSession, User)
        .join(User, col(User.id) == col(LoginSession.user_id))
        .where(LoginSession.secret_hash == _digest(secret))
    ).first()
    if found is None:
        return None
    row, user = found
    seen = aware(row.last_seen_at)
    if (
        row.revoked_at is not None
        or seen is None
        or now - seen > lifetime
        or user.id != user_id
        or user.session_epoch != epoch
        or not user.active
    ):
        return None
    if (now - seen).total_seconds() >= SESSION_SEEN_SECONDS:
        row.last_seen_at = now
        session.add(row)
        session.commit()
    return user, row


def list_sessions(
    session: Session, user: User, *, lifetime: dt.timedelta, now: dt.datetime | None = None
) -> list[LoginSession]:
    """The user's live sessions, most recently seen first."""
    query = (
        select(LoginSession)
        .where(LoginSession.user_id == user.id, *_live(lifetime, now))
        .order_by(col(LoginSession.last_seen_at).desc(), col(LoginSession.id).desc())
    )
    return list(session.exec(query))


def _live(lifetime: dt.timedelta, now: dt.datetime | None) -> tuple:
    """The conditions of a live session: not ended, seen within `lifetime` of `now`."""
    since = (now or utcnow()) - lifetime
    return col(LoginSession.revoked_at).is_(None), LoginSession.last_seen_at >= since


def end_session(session: Session, user: User, session_id: int, *, ip: str | None = None) -> LoginSession:
    """End one of `user`'s sessions (from the account page). Raises UserError when it is
    not theirs or does not exist; ending an ended one changes nothing."""
    row = session.get(LoginSession, session_id)
    if row is None or row.user_id != user.id:
        raise UserError("no such session")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        audit.record(
            session,
            "auth.session_ended",
            actor=user.email,
            object_type="session",
            object_id=row.id,
            ip=ip,
            details={
                "user": user.email,
                "signed_in_at": row.created_at.isoformat(),
                "signed_in_from": row.ip,
                "user_agent": row.user_agent,
            },
        )
        session.commit()
    return row


def prune_sessions(session: Session, *, lifetime: dt.timedelta, now: dt.datetime | None = None) -> int:
    """Delete revoked sessions and those idle longer than `lifetime` (of every user):
    nothing can bring them back, and the audit trail keeps their sign-in and sign-out.
    Flushed, not committed. Returns how many went."""
    limit = (now or utcnow()) - lifetime
    result = session.exec(  # type: ignore[call-overload]
        delete(LoginSession).where(or_(col(LoginSession.revoked_at).is_not(None), LoginSession.last_seen_at < limit))
    )
    return result.rowcount or 0


def _end_all_sessions(session: Session, user: User) -> int:
    """Bump the epoch and revoke the user's open sessions (not committed). Returns how
    many sessions were open."""
    user.session_epoch += 1
    session.add(user)
    now = utcnow()
    rows = session.exec(
        select(LoginSession).where(LoginSession.user_id == user.id, col(LoginSession.revoked_at).is_(None))
    ).all()
    for row in rows:
        row.revoked_at = now
        session.add(row)
    return len(rows)


# --- tokens and sign-in links --------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_secret(kind_prefix: str) -> str:
    return kind_prefix + secrets.token_urlsafe(32)


def _find(session: Session, token: str, kind_prefix: str) -> ApiToken | None:
    if not token.startswith(kind_prefix) or len(token) < 40 or len(token) > 100:
        return None
    rows = session.exec(select(ApiToken).where(ApiToken.prefix == token[:_LOOKUP_CHARS])).all()
    digest = _digest(token)
    for row in rows:
        if hmac.compare_digest(row.token_hash, digest):
            return row
    return None


def issue_token(
    session: Session, user: User, *, name: str = "", actor: str | None = None, ip: str | None = None
) -> tuple[ApiToken, str]:
    """A new API token for `user`: returns the row and the secret, which is not stored."""
    secret = _new_secret(API_TOKEN_PREFIX)
    row = ApiToken(user_id=user.id, prefix=secret[:_LOOKUP_CHARS], token_hash=_digest(secret), name=name.strip()[:100])
    session.add(row)
    session.flush()
    audit.record(
        session,
        "token.created",
        actor=actor or user.email,
        object_type="token",
        object_id=row.id,
        ip=ip,
        details={"user": user.email, "name": row.name, "prefix": row.prefix},
    )
    session.commit()
    return row, secret


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    """The user's API tokens (not sign-in links), newest first."""
    query = (
        select(ApiToken)
        # autoescape: in LIKE 'ab_%' the "_" matches any character, sign-in links' 'abl_' too
        .where(ApiToken.user_id == user.id, ApiToken.prefix.startswith(API_TOKEN_PREFIX, autoescape=True))  # type: ignore[attr-defined]
        .order_by(ApiToken.id.desc())  # type: ignore[union-attr]
    )
    return list(session.exec(query))


def revoke_token(
    session: Session, user: User, token_id: int, *, actor: str | None = None, ip: str | None = None
) -> ApiToken:
    """Revoke one of `user`'s API tokens. Raises UserError when it is not theirs."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id or not row.prefix.startswith(API_TOKEN_PREFIX):
        raise UserError("no such token")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        audit.record(
            session,
            "token.revoked",
            actor=actor or user.email,
            object_type="token",
            object_id=row.id,
            ip=ip,
            details={"user": user.email, "prefix": row.prefix},
        )
        session.commit()
    return row


def check_token(session: Session, secret: str, *, ip: str | None = None) -> User | None:
    """The active user owning the valid, unrevoked API token `secret`, or None.
    Updates `last_used_at` and audits `token.used` at most once a minute per token."""
    row = _find(session, secret, API_TOKEN_PREFIX)
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    now = utcnow()
    last = aware(row.last_used_at)
    if last is None or (now - last).total_seconds() >= TOKEN_USE_AUDIT_SECONDS:
        row.last_used_at = now
        session.add(row)
        audit.record(
            session,
            "token.used",
            actor=user.email,
            object_type="token",
            object_id=row.id,
            ip=ip,
            details={"prefix": row.prefix},
        )
        session.commit()
    return user


def issue_signin_link(session: Session, user: User, *, actor: str = "system", ip: str | None = None) -> str:
    """A single-use sign-in secret for `user` (for the URL /login/link/<secret>).
    Earlier unused links of the user stop working. Also the way back in for a user who
    lost or never set a password: a session opened by a link may set a new password
    without the current one. Raises UserError for a deactivated account (a link could
    not sign it in)."""
    if not user.active:
        raise UserError(f"{user.email} is deactivated: reactivate the account first")
    now = utcnow()
    for old in _open_links(session, user):
        old.revoked_at = now
        session.add(old)
    secret = _new_secret(LINK_TOKEN_PREFIX)
    row = ApiToken(user_id=user.id, prefix=secret[:_LOOKUP_CHARS], token_hash=_digest(secret), name="sign-in link")
    session.add(row)
    session.flush()
    audit.record(
        session,
        "auth.signin_link_issued",
        actor=actor,
        object_type="user",
        object_id=user.id,
        ip=ip,
        details={"email": user.email},
    )
    session.commit()
    return secret


def _open_links(session: Session, user: User) -> list[ApiToken]:
    query = select(ApiToken).where(
        ApiToken.user_id == user.id,
        ApiToken.prefix.startswith(LINK_TOKEN_PREFIX, autoescape=True),  # type: ignore[attr-defined]
        ApiToken.revoked_at.is_(None),  # type: ignore[union-attr]
    )
    return list(session.exec(query))


def peek_signin_link(session: Session, secret: str, *, link_hours: int) -> User | None:
    """The user a valid (unused, unexpired) link signs in, without using it up."""
    row = _find(session, secret, LINK_TOKEN_PREFIX)
    if row is None or row.revoked_at is not None:
        return None
    created = aware(row.created_at)
    if created is None or utcnow() - created > dt.timedelta(hours=link_hours):
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.active else None


def use_signin_link(session: Session, secret: str, *, link_hours: int, ip: str | None = None) -> User | None:
    """Sign in with a link: valid once, within `link_hours`. None when invalid."""
    user = peek_signin_link(session, secret, link_hours=link_hours)
    row = _find(session, secret, LINK_TOKEN_PREFIX)
    if user is None or row is None:
        audit.record(session, "auth.login_failed", actor="anonymous", ip=ip, details={"reason": "bad_signin_link"})
        session.commit()
        return None
    row.revoked_at = utcnow()
    row.last_used_at = row.revoked_at
    session.add(row)
    _signed_in(session, user, ip=ip, method="link")
    return user


def ensure_first_admin(session: Session, email: str) -> tuple[User, str] | None:
    """First run: with no users, create `email` as admin and return it with a sign-in link
    secret. While that admin has never signed in and has no password (the link expired
    unused), a fresh link is issued. Otherwise None."""
    if count_users(session) == 0:
        user = create_user(session, email, Role.admin, actor="first-run")
        return user, issue_signin_link(session, user, actor="first-run")
    signed_in = session.exec(select(func.count()).select_from(User).where(User.last_login_at.is_not(None))).one()  # type: ignore[union-attr]
    if signed_in:
        return None
    admin = session.exec(
        select(User).where(User.role == Role.admin, User.active, User.password_hash.is_(None)).order_by(User.id)  # type: ignore[union-attr]
    ).first()
    if admin is None:
        return None
    return admin, issue_signin_link(session, admin, actor="first-run")
