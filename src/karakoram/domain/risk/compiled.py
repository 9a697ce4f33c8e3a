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
    if name == "trader":  # a tuple of the declarant, exporter and importer ids
        if leaf.op == "eq":
            return lambda f: value in f[name]
        if leaf.op == "ne":
            return lambda f: value not in f[name]
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
    parts = [compile_condition(p) for p in condition.parts]
    combine = _both if isinstance(condition, AllOf) else _either
    predicate = parts[-1]
    for part in reversed(parts[:-1]):  # a and (b and (c ...)): no generator per call
        predicate = combine(part, predicate)
    return predicate


def _both(first: Predicate, rest: Predicate) -> Predicate:
    return lambda f: first(f) and rest(f)


def _either(first: Predicate, rest: Predicate) -> Predicate:
    return lambda f: first(f) or rest(f)


def fields_of(condition: Condition) -> set[str]:
    if isinstance(condition, Leaf):
        return {condition.field}
    if isinstance(condition, Not):
        return fields_of(condition.part)
    return set().union(*(fields_of(p) for p in condition.parts))


@dataclass(frozen=True, slots=True)
class Guard:
    """A test the rule cannot fire without: `field` equals one of `values`, or, for prefix
    guards, starts with one of them. Rules are indexed by it so that most are never tried."""

    field: str
    prefix: bool
    values: tuple[str, ...]


def _guarded(condition: Condition) -> tuple[Guard, Condition | None] | None:
    """The most selective guard of a rule (an HS prefix, else any text equality) and what is
    left to test once the guard holds (None: nothing)."""
    leaves = (
        [condition]
        if isinstance(condition, Leaf)
        else (list(condition.parts) if isinstance(condition, AllOf) else [])
    )
    found = [
        (guard, n)
        for n, leaf in enumerate(leaves)
        if isinstance(leaf, Leaf) and (guard := _leaf_guard(leaf)) is not None
    ]
    if not found:
        return None
    guard, n = min(found, key=lambda g: g[0].field != "hs_code")  # the first HS guard, else first
    rest = leaves[:n] + leaves[n + 1 :]
    if not rest:
        return guard, None
    return guard, rest[0] if len(rest) == 1 else AllOf(tuple(rest))


def _leaf_guard(leaf: Leaf) -> Guard | None:
    if FIELDS[leaf.field].kind != "text":
        return None
    if leaf.op == "eq":
        return Guard(leaf.field, False, (leaf.value,))
    if leaf.op == "in":
        return Guard(leaf.field, False, tuple(sorted(leaf.value)))
    if leaf.op == "prefix":
        return Guard(leaf.field, True, tuple(leaf.value))
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
    #: the rule's description in other languages (Rule.explanations)
    explanations: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class _Compiled:
    rule: Rule
    fields: tuple[str, ...]
    #: the rule's place in the file (firings are given in that order)
    order: int
    #: firings without values, per item (None: the declaration), made once
    bare: dict[int | None, Firing]


#: a candidate rule and what is left to test of it (None: it fires once it is a candidate)
_Candidate = tuple[_Compiled, Predicate | None]

#: combinations of indexed values whose candidates an index with prefix guards remembers
#: (HS code and origin pairs repeat a lot); past it, it starts again
CANDIDATE_MEMORY = 50_000


def _observed(facts: Facts, names: Iterable[str]) -> dict[str, str]:
    out = {}
    for name in names:
        value = facts[name]
        out[name] = "/".join(value) if isinstance(value, tuple) else str(value)
    return out


class _Index:
    """Rules of one level (declaration or item), indexed by their guards. A rule found through
    its guard is only tested for the rest of its condition. Where there are prefix guards (HS
    codes), the candidates are remembered per combination of the indexed values."""

    def __init__(self) -> None:
        self.unguarded: list[_Candidate] = []
        self.exact: defaultdict[str, defaultdict[str, list[_Candidate]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self.prefix: defaultdict[str, defaultdict[str, list[_Candidate]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self._key: Callable[[Facts], Any] | None = None
        self._memory: dict[Any, list[_Candidate]] = {}

    def add(self, compiled: _Compiled, when: Condition) -> None:
        guarded = _guarded(when)
        if guarded is None:
            self.unguarded.append((compiled, compile_condition(when)))
            return
        guard, rest = guarded
        candidate = (compiled, None if rest is None else compile_condition(rest))
        table = (self.prefix if guard.prefix else self.exact)[guard.field]
        for value in guard.values:
            table[value].append(candidate)
        if self.prefix:
            self._key = operator.itemgetter(*self.exact, *self.prefix)
        self._memory.clear()

    def candidates(self, facts: Facts) -> list[_Candidate]:
        """The rules to try on `facts` (callers only read the list)."""
        if self._key is None:
            return self._lookup(facts)
        key = self._key(facts)
        found = self._memory.get(key)
        if found is None:
            found = self._lookup(facts)
            if len(self._memory) >= CANDIDATE_MEMORY:
                self._memory.clear()
            self._memory[key] = found
        return found

    def _lookup(self, facts: Facts) -> list[_Candidate]:
        found = list(self.unguarded)
        for name, table in self.exact.items():
            value = facts[name]
            for one in value if isinstance(value, tuple) else (value,):
                found.extend(table.get(one, ()))
        for name, table in self.prefix.items():
            value = facts[name]
            for one in value if isinstance(value, tuple) else (value,):
                for end in range(len(one) + 1):  # the empty prefix too
                    found.extend(table.get(one[:end], ()))
        return found


class CompiledRuleSet:
    """A rule set ready to evaluate: closures, split by level, indexed by their guards."""

    def __init__(self, rule_set: RuleSet) -> None:
        self.rule_set = rule_set
        self._order = {r.id: n for n, r in enumerate(rule_set.rules)}
        self._declaration = _Index()
        self._items = _Index()
        for rule in rule_set.rules:
            if rule.enabled:
                self._add(rule)

    def _add(self, rule: Rule) -> None:
        names = fields_of(rule.when)
        compiled = _Compiled(rule, tuple(sorted(names)), self._order[rule.id], {})
        item_level = any(FIELDS[n].item_level for n in names)
        (self._items if item_level else self._declaration).add(compiled, rule.when)

    def evaluate(self, shared: Facts, items: list[Facts], values: bool = True) -> list[Firing]:
        """Every rule that fires, once each, in rule-file order. Without `values` the firings
        do not say which values made them fire (a back-test does not report them); such
        firings are shared between calls."""
        fired: dict[int, Firing] = {}  # by place in the file
        fire = self._firing if values else _bare_firing
        for c, rest in self._declaration.candidates(shared):
            if c.order not in fired and (rest is None or rest(shared)):
                fired[c.order] = fire(c, None, shared)
        for index, facts in enumerate(items):
            for c, rest in self._items.candidates(facts):
                if c.order not in fired and (rest is None or rest(facts)):
                    fired[c.order] = fire(c, index, facts)
        if len(fired) < 2:
            return list(fired.values())
        return [fired[n] for n in sorted(fired)]

    @staticmethod
    def _firing(c: _Compiled, item: int | None, facts: Facts) -> Firing:
        rule = c.rule
        values = _observed(facts, c.fields)
        return Firing(
            rule.id, rule.description, rule.channel, rule.score, item, values, rule.explanations
        )


def _bare_firing(c: _Compiled, item: int | None, facts: Facts) -> Firing:
    found = c.bare.get(item)
    if found is None:
        rule = c.rule
        found = c.bare[item] = Firing(
            rule.id, rule.description, rule.channel, rule.score, item, {}, rule.explanations
        )
    return found


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
