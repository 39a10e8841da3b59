"""The complaint workflow as one state machine (登记→受理→派单→调查核实→处理→答复→回访→结案→归档).

Only the table below decides which action is legal in which state; ``hotline.tickets`` applies
the effects (deadlines, assignee, events) and ``hotline.access`` decides who may act.
"""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

REGISTERED = "registered"
ACCEPTED = "accepted"
REJECTED = "rejected"
TRANSFERRED = "transferred"
DISPATCHED = "dispatched"
INVESTIGATING = "investigating"
HANDLED = "handled"
REPLIED = "replied"
FOLLOWED_UP = "followed_up"
CLOSED = "closed"
ARCHIVED = "archived"
REINVESTIGATING = "reinvestigating"

STATUS_WORDS = {
    REGISTERED: "已登记",
    ACCEPTED: "已受理",
    REJECTED: "不予受理",
    TRANSFERRED: "已移送",
    DISPATCHED: "已派单",
    INVESTIGATING: "调查核实中",
    HANDLED: "已处理",
    REPLIED: "已答复",
    FOLLOWED_UP: "已回访",
    CLOSED: "已结案",
    ARCHIVED: "已归档",
    REINVESTIGATING: "复查中",
}
STATUSES = tuple(STATUS_WORDS)
FINISHED = frozenset({REJECTED, TRANSFERRED, CLOSED, ARCHIVED})
OPEN = tuple(s for s in STATUSES if s not in FINISHED)

# action → {from status: to status}
TRANSITIONS: dict[str, dict[str, str]] = {
    "accept": {REGISTERED: ACCEPTED},
    "reject": {REGISTERED: REJECTED},
    "transfer": {REGISTERED: TRANSFERRED},
    "dispatch": {ACCEPTED: DISPATCHED},
    "object": {DISPATCHED: ACCEPTED},
    "investigate": {DISPATCHED: INVESTIGATING},
    "handle": {INVESTIGATING: HANDLED, REINVESTIGATING: HANDLED},
    "reply": {HANDLED: REPLIED},
    "follow_up": {REPLIED: FOLLOWED_UP},
    "close": {FOLLOWED_UP: CLOSED},
    "appeal": {REPLIED: REINVESTIGATING, FOLLOWED_UP: REINVESTIGATING, CLOSED: REINVESTIGATING},
    "archive": {CLOSED: ARCHIVED, REJECTED: ARCHIVED, TRANSFERRED: ARCHIVED},
}
ACTIONS = tuple(TRANSITIONS)

ACTION_WORDS = {
    "register": "登记",
    "accept": "受理",
    "reject": "不予受理",
    "transfer": "移送",
    "dispatch": "派单",
    "object": "退单",
    "investigate": "调查核实",
    "handle": "处理",
    "reply": "答复",
    "follow_up": "回访",
    "close": "结案",
    "appeal": "申诉",
    "archive": "归档",
    "extend": "延期",
    "route": "改派/分类更正",
}


class IllegalTransition(Exception):
    """The action is not allowed in the ticket's current state (HTTP 409)."""

    def __init__(self, action: str, status: str, detail: str | None = None) -> None:
        self.action, self.status = action, status
        super().__init__(detail or _illegal_message(action, status))


class InvalidParams(ValueError):
    """Missing or bad parameters of an action (HTTP 422)."""


def _illegal_message(action: str, status: str) -> str:
    if action not in TRANSITIONS:
        return f"unknown action {action!r}; actions: {', '.join(ACTIONS)}"
    allowed = allowed_actions(status)
    return (
        f"cannot {action} a ticket that is {status}; allowed from {status}: "
        f"{', '.join(allowed) if allowed else 'nothing (final state)'}"
    )


def allowed_actions(status: str) -> list[str]:
    return [action for action, moves in TRANSITIONS.items() if status in moves]


def next_status(status: str, action: str) -> str:
    """The state ``action`` leads to from ``status``; ``IllegalTransition`` if none."""
    target = TRANSITIONS.get(action, {}).get(status)
    if target is None:
        raise IllegalTransition(action, status)
    return target


# Parameters of each action, validated before anything changes.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9_]{1,32}$")]
ToldVia = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(None, max_length=4000)


class AcceptParams(_Params):
    pass


class RejectParams(_Params):
    reason: Text
    told_via: ToldVia = Field(description="how the caller was told why, e.g. phone, sms, letter")


class TransferParams(_Params):
    body: Text = Field(description="the outside body, e.g. 12315, 12333")


class DispatchParams(_Params):
    department: Code


class ObjectParams(_Params):
    reason: Text


class InvestigateParams(_Params):
    pass


class HandleParams(_Params):
    measures: Text


class ReplyParams(_Params):
    result: Text
    told_via: ToldVia = Field(description="how the caller was told, e.g. phone, sms, letter")


class FollowUpParams(_Params):
    satisfaction: int = Field(ge=1, le=5)
    comment: str | None = Field(None, max_length=4000)


CLOSING_CRITERIA = {
    "facts_clear": "事实清楚",
    "characterisation_accurate": "定性准确",
    "handling_compliant": "处理恰当、符合政策",
    "procedures_complete": "手续完备",
    "met_complainant": "已与投诉人见面",
    "disagreement_followed_up": "对不认可的投诉人已做工作",
}


class CloseParams(_Params):
    """结案审查: all six criteria answered; any "no" needs a reason and blocks closing."""

    facts_clear: bool
    characterisation_accurate: bool
    handling_compliant: bool
    procedures_complete: bool
    met_complainant: bool
    disagreement_followed_up: bool
    reason: str | None = Field(None, max_length=4000)

    @model_validator(mode="after")
    def _reason_for_no(self) -> CloseParams:
        if self.failed() and not (self.reason and self.reason.strip()):
            raise ValueError(f"a 'no' in the closing review needs a reason: {', '.join(self.failed())}")
        return self

    def failed(self) -> list[str]:
        return [name for name in CLOSING_CRITERIA if not getattr(self, name)]


class AppealParams(_Params):
    reason: Text


class ArchiveParams(_Params):
    pass


PARAMS: dict[str, type[_Params]] = {
    "accept": AcceptParams,
    "reject": RejectParams,
    "transfer": TransferParams,
    "dispatch": DispatchParams,
    "object": ObjectParams,
    "investigate": InvestigateParams,
    "handle": HandleParams,
    "reply": ReplyParams,
    "follow_up": FollowUpParams,
    "close": CloseParams,
    "appeal": AppealParams,
    "archive": ArchiveParams,
}


def parse_params(action: str, params: dict[str, Any]) -> _Params:
    """Validated parameters of ``action``; ``InvalidParams`` with a one-line message otherwise."""
    model = PARAMS.get(action)
    if model is None:
        raise InvalidParams(f"unknown action {action!r}; actions: {', '.join(ACTIONS)}")
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        raise InvalidParams(f"{action}: {describe_errors(exc)}") from exc


def describe_errors(exc: ValidationError) -> str:
    """Pydantic errors as one line: ``field: message; field: message``."""
    parts = []
    for error in exc.errors():
        loc = list(error["loc"])
        location = ".".join(str(p) for p in (loc[1:] if len(loc) > 1 and loc[0] == "body" else loc))
        message = error["msg"].removeprefix("Value error, ")
        parts.append(f"{location}: {message}" if location else message)
    return "; ".join(parts)
