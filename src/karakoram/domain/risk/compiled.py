"""Compile a `RuleSet` into closures, indexed by HS prefix, for fast evaluation.

`interpret` is the reference semantics: a plain recursive walk over the condition tree. The
compiled form must agree with it on every input (a test checks this on random rule sets), and
the benchmark uses it as the naive baseline.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from karakoram.domain.risk.channels import Channel
from karakoram.domain.risk.facts import FIELDS, Facts, Predicate
from karakoram.domain.risk.rules import AllOf, AnyOf, Condition, Leaf, Not, Rule, RuleSet

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}


def leaf_holds(leaf: Leaf, observed: Any) -> bool:
    """Whether one observed value satisfies a leaf (the trader field holds several ids)."""
    if isinstance(observed, tuple):  # trader: any of declarant, exporter, importer
        if leaf.op in ("ne", "not_in"):
            return all(leaf_holds(leaf, one) for one in observed)
        return any(leaf_holds(leaf, one) for one in observed)
    op, value = leaf.op, leaf.value
    if op == "is":
        return bool(observed) is value
    if op == "in":
        return observed in value
    if op == "not_in":
        return observed not in value
    if op == "prefix":
        return any(observed.startswith(p) for p in value)
    if op == "between":
        return bool(value[0] <= observed <= value[1])
    return _COMPARE[op](observed, value)


def interpret(condition: Condition, facts: Facts) -> bool:
    """Reference evaluation: walk the tree for every call (slow, obviously right)."""
    if isinstance(condition, Leaf):
        return leaf_holds(condition, facts[condition.field])
    if isinstance(condition, AllOf):
        return all(interpret(p, facts) for p in condition.parts)
    if isinstance(condition, AnyOf):
        return any(interpret(p, facts) for p in condition.parts)
    return not interpret(condition.part, facts)


def _compile_leaf(leaf: Leaf) -> Predicate:
    name, value = leaf.field, leaf.value
    if name == "trader":
        return lambda f: leaf_holds(leaf, f[name])
    match leaf.op:
        case "in":
            return lambda f: f[name] in value
        case "not_in":
            return lambda f: f[name] not in value
        case "prefix":
            prefixes = tuple(value)
            return lambda f: f[name].startswith(prefixes)
        case "is":
            return lambda f: bool(f[name]) is value
        case "between":
            low, high = value
            return lambda f: low <= f[name] <= high
        case _:
            compare = _COMPARE[leaf.op]
            return lambda f: compare(f[name], value)


def compile_condition(condition: Condition) -> Predicate:
    if isinstance(condition, Leaf):
        return _compile_leaf(condition)
    if isinstance(condition, Not):
        inner = compile_condition(condition.part)
        return lambda f: not inner(f)
    parts = tuple(compile_condition(p) for p in condition.parts)
    if len(parts) == 1:
        return parts[0]
    if isinstance(condition, AllOf):
        return lambda f: all(p(f) for p in parts)
    return lambda f: any(p(f) for p in parts)


def fields_of(condition: Condition) -> set[str]:
    if isinstance(condition, Leaf):
        return {condition.field}
    if isinstance(condition, Not):
        return fields_of(condition.part)
    return set().union(*(fields_of(p) for p in condition.parts))


def hs_guard(condition: Condition) -> tuple[str, ...] | None:
    """HS prefixes one of which an item must have for the rule to fire, if the rule says so."""
    leaves = (
        [condition]
        if isinstance(condition, Leaf)
        else (list(condition.parts) if isinstance(condition, AllOf) else [])
    )
    for leaf in leaves:
        if isinstance(leaf, Leaf) and leaf.field == "hs_code" and leaf.op in ("eq", "in", "prefix"):
            return (leaf.value,) if leaf.op == "eq" else tuple(leaf.value)
    return None


@dataclass(frozen=True, slots=True)
class Firing:
    """A rule (or detector) that fired, with the values that made it fire."""

    rule: str
    description: str
    channel: Channel | None
    score: int
    item: int | None
    values: dict[str, str]


@dataclass(frozen=True, slots=True)
class _Compiled:
    rule: Rule
    predicate: Predicate
    fields: tuple[str, ...]


def _observed(facts: Facts, names: Iterable[str]) -> dict[str, str]:
    out = {}
    for name in names:
        value = facts[name]
        out[name] = "/".join(value) if isinstance(value, tuple) else str(value)
    return out


class CompiledRuleSet:
    """A rule set ready to evaluate: closures, split by level, item rules indexed by HS."""

    def __init__(self, rule_set: RuleSet) -> None:
        self.rule_set = rule_set
        self._declaration_rules: list[_Compiled] = []
        self._unguarded: list[_Compiled] = []
        self._by_prefix: defaultdict[str, list[_Compiled]] = defaultdict(list)
        for rule in rule_set.rules:
            if rule.enabled:
                self._add(rule)

    def _add(self, rule: Rule) -> None:
        names = fields_of(rule.when)
        compiled = _Compiled(rule, compile_condition(rule.when), tuple(sorted(names)))
        if not any(FIELDS[n].item_level for n in names):
            self._declaration_rules.append(compiled)
            return
        guard = hs_guard(rule.when)
        if guard is None:
            self._unguarded.append(compiled)
        for prefix in guard or ():
            self._by_prefix[prefix].append(compiled)

    def _candidates(self, hs_code: str) -> list[_Compiled]:
        found = list(self._unguarded)
        for end in range(1, len(hs_code) + 1):
            found.extend(self._by_prefix.get(hs_code[:end], ()))
        return found

    def evaluate(self, shared: Facts, items: list[Facts]) -> list[Firing]:
        """Every rule that fires, once each, in rule-file order."""
        fired: dict[str, Firing] = {}
        for c in self._declaration_rules:
            if c.predicate(shared):
                fired[c.rule.id] = _firing(c, None, shared)
        for index, facts in enumerate(items):
            for c in self._candidates(facts["hs_code"]):
                if c.rule.id not in fired and c.predicate(facts):
                    fired[c.rule.id] = _firing(c, index, facts)
        order = {r.id: n for n, r in enumerate(self.rule_set.rules)}
        return sorted(fired.values(), key=lambda f: order[f.rule])


def _firing(c: _Compiled, item: int | None, facts: Facts) -> Firing:
    return Firing(
        c.rule.id,
        c.rule.description,
        c.rule.channel,
        c.rule.score,
        item,
        _observed(facts, c.fields),
    )


def evaluate_naively(rule_set: RuleSet, shared: Facts, items: list[Facts]) -> list[str]:
    """Ids of the rules that fire, by interpreting every condition for every item."""
    fired = []
    for rule in rule_set.rules:
        if not rule.enabled:
            continue
        level = [shared] if not any(FIELDS[n].item_level for n in fields_of(rule.when)) else items
        if any(interpret(rule.when, facts) for facts in level):
            fired.append(rule.id)
    return fired
