"""Routes from "registered" to every workflow state, with valid parameters for each action."""
from __future__ import annotations

from typing import Any

CLOSE_REVIEW = {
    "facts_clear": True,
    "characterisation_accurate": True,
    "handling_compliant": True,
    "procedures_complete": True,
    "met_complainant": True,
    "disagreement_followed_up": True,
}
VALID_PARAMS: dict[str, dict[str, Any]] = {
    "accept": {},
    "reject": {"reason": "不属于受理范围", "told_via": "phone"},
    "transfer": {"body": "12315"},
    "dispatch": {"department": "juweihui"},
    "object": {"reason": "不属本部门职责"},
    "investigate": {},
    "handle": {"measures": "已清运垃圾"},
    "reply": {"result": "已处理完毕", "told_via": "phone"},
    "follow_up": {"satisfaction": 4, "comment": "满意"},
    "close": CLOSE_REVIEW,
    "appeal": {"reason": "问题没有解决"},
    "archive": {},
}
PATHS: dict[str, list[str]] = {
    "registered": [],
    "accepted": ["accept"],
    "rejected": ["reject"],
    "transferred": ["transfer"],
    "dispatched": ["accept", "dispatch"],
    "investigating": ["accept", "dispatch", "investigate"],
    "handled": ["accept", "dispatch", "investigate", "handle"],
    "replied": ["accept", "dispatch", "investigate", "handle", "reply"],
    "followed_up": ["accept", "dispatch", "investigate", "handle", "reply", "follow_up"],
    "closed": ["accept", "dispatch", "investigate", "handle", "reply", "follow_up", "close"],
    "archived": ["accept", "dispatch", "investigate", "handle", "reply", "follow_up", "close", "archive"],
    "reinvestigating": ["accept", "dispatch", "investigate", "handle", "reply", "appeal"],
}
