"""What every handler needs from the node, built once by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from karakoram.domain.codes import CodeLists
from karakoram.domain.validation import NodeRules
from karakoram.services.unit_of_work import UnitOfWorkFactory


@dataclass(slots=True)
class NodeContext:
    administration: str
    rules: NodeRules
    codes: CodeLists
    uow: UnitOfWorkFactory
    clock: Callable[[], datetime]
