"""What a worker registers of an activities object."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def defined_activities(obj: object) -> list[Callable[..., Any]]:
    """The activities `obj`'s class defines (its methods decorated with @activity.defn), bound to
    `obj`, in the order of the class body: a new activity is registered without a list to keep."""
    return [
        getattr(obj, name)
        for name, f in vars(type(obj)).items()
        if hasattr(f, "__temporal_activity_definition")
    ]
