"""Every activity a workflow may call is registered on the worker."""

from __future__ import annotations

from activities.aftercare import AftercareActivities
from activities.award import AwardActivities
from activities.committee import CommitteeActivities
from activities.review import ReviewActivities


def test_every_activity_is_registered() -> None:
    for cls in (AwardActivities, ReviewActivities, CommitteeActivities, AftercareActivities):
        defined = {n for n, v in vars(cls).items() if hasattr(v, "__temporal_activity_definition")}
        registered = {f.__name__ for f in cls.all(cls.__new__(cls))}  # type: ignore[arg-type]
        assert defined and defined == registered, (cls.__name__, defined ^ registered)
