"""A procurement scenario's contract as levers: the pilot's own fees, or another template's.

Each procurement scenario pays its providers under its own contract (``koko_rekry``: 2,000 €
per placement and nothing else). The page shows that contract's fees as levers, with their
sources; changing one edits a copy of that contract (every other component stays as written)
and the scenario runs with the copy as its inline ``contract_table``. A participant may instead
pick another shipped contract as the template (the generic blend is one of them); the levers
are then that template's fees. Nothing is replaced unless the participant chooses it.

Contracts written as a ``blend`` (a price per client split into shares) keep their blend
levers (price, base share, result shares, risk-tier multipliers): a share changed alone would
break the rule that the shares sum to one, so the quality bonus takes what is left.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from dashboards.lever import Lever
from simulation.params.contracts import (
    CONTRACTS_PACKAGE,
    OUTCOME_KINDS,
    Contract,
    contract_from_table,
    contract_names,
    is_contract_path,
)
from simulation.params.procurement import Procurement
from simulation.params.provenance import unwrap

PREFIX = "contract."
TEMPLATE = "contract.template"  # the request field naming the template
OWN = "own"  # the scenario's own contract
GROUP = "Contract"
FEE_SHARES = ("placement", "employed_3m", "employed_6m", "employed_12m")
BLEND_KEYS = ("price_per_client_eur", "base_share", *(f"{k}_share" for k in FEE_SHARES),
              "medium_risk_multiplier", "high_risk_multiplier")
MAX_FEE_EUR = 1_000_000.0
MAX_TOTAL_EUR = 100_000_000.0
TIERS = ("low risk", "medium risk", "high risk")

# what one outcome fee is paid for, as the page says it
OUTCOME_WORDS = {
    "placement": ("per placement", "€/placement"),
    "employed_3m": ("per client employed 3 months", "€/client"),
    "employed_6m": ("per client employed 6 months", "€/client"),
    "employed_12m": ("per client employed 12 months", "€/client"),
    "training_referral": ("per referral to training", "€/referral"),
    "recruitment_training": ("per client directed to recruitment training", "€/client"),
}
FIRM_FEE_WORDS = {"personal_guidance": "per firm given personal guidance",
                  "recruitment_plan": "per firm recruitment plan",
                  "group_event": "per group event"}
FIRM_OUTCOME_WORDS = {"firm_growth": "per firm that grows", "firm_recruitment":
                      "per firm that recruits"}


@dataclass(frozen=True)
class ContractSource:
    """A contract as written (plain values), where each value came from, and its name."""

    name: str  # shipped name, or "inline" for a scenario's own contract_table
    table: dict[str, Any]
    provenance: dict[str, str]

    @property
    def contract(self) -> Contract:
        return contract_from_table(self.table, file=self.name, provenance=self.provenance)

    @property
    def is_blend(self) -> bool:
        return "blend" in self.table


@lru_cache(maxsize=64)
def _shipped(name: str) -> ContractSource:
    text = resources.files(CONTRACTS_PACKAGE).joinpath(f"{name}.toml").read_text("utf-8")
    plain, provenance = unwrap(tomllib.loads(text)["contract"], "contract")
    return ContractSource(name=name, table=plain, provenance=provenance)


def own_contract(procurement: Procurement) -> ContractSource:
    """The contract a scenario names (an inline table, a shipped contract or a file)."""
    if procurement.contract_table is not None:
        return ContractSource("inline", dict(procurement.contract_table), {})
    if is_contract_path(procurement.contract):
        text = Path(procurement.contract).read_text(encoding="utf-8")
        plain, provenance = unwrap(tomllib.loads(text)["contract"], "contract")
        return ContractSource(Path(procurement.contract).stem, plain, provenance)
    return _shipped(procurement.contract)


def templates(procurement: Procurement) -> list[tuple[str, str]]:
    """(value, label) of every template: the pilot's own contract first, then the shipped
    contracts (the generic blend among them)."""
    own = own_contract(procurement)
    out = [(OWN, f"the pilot's own contract: {own.contract.title}")]
    out += [(name, _shipped(name).contract.title) for name in contract_names()
            if name != own.name]
    return out


def template_source(procurement: Procurement, template: str) -> ContractSource:
    if template == OWN:
        return own_contract(procurement)
    if template not in contract_names():
        raise ValueError(f"unknown contract template {template!r}")
    return _shipped(template)


# --- levers ------------------------------------------------------------------------------------

def fee_levers(procurement: Procurement, template: str = OWN) -> list[Lever]:
    """The fee levers of a template: its blend, else each fee it pays, with its source."""
    source = template_source(procurement, template)
    if source.is_blend:
        return _blend_levers(source)
    return _component_levers(source)


def _from(source: ContractSource, path: str) -> str:
    return source.provenance.get(f"contract.{path}", f"contract {source.name}")


def _money(source: ContractSource, path: str, label: str, unit: str, value: float,
           description: str, maximum: float = MAX_FEE_EUR) -> Lever:
    return Lever(PREFIX + path, label, GROUP, unit, 0.0, maximum, False, float(value),
                 _from(source, path), description)


def _risk_fee(source: ContractSource, path: str, label: str, unit: str, value: Any,
              description: str) -> list[Lever]:
    if isinstance(value, list | tuple):  # paid by risk class: one lever per class
        return [_money(source, f"{path}.{i}", f"{label} ({tier})", unit, amount, description)
                for i, (tier, amount) in enumerate(zip(TIERS, value, strict=True))]
    return [_money(source, path, label, unit, value, description)]


def _component_levers(source: ContractSource) -> list[Lever]:
    table, out = source.table, []
    if "base_fee" in table:
        out.append(_money(source, "base_fee.total_eur", "Base fee (all of it)", "€",
                          table["base_fee"]["total_eur"], "Fixed fee whatever the results",
                          MAX_TOTAL_EUR))
    if "steering_bonus" in table:
        out.append(Lever(PREFIX + "steering_bonus.max_share", "Steering-group bonus, at most",
                         GROUP, "share of base fee", 0.0, 1.0, False,
                         float(table["steering_bonus"]["max_share"]),
                         _from(source, "steering_bonus.max_share"),
                         "Paid as the steering group judges the provider's work"))
    if "attachment_fee" in table:
        out += _risk_fee(source, "attachment_fee", "Fee per client taken on", "€/client",
                         table["attachment_fee"], "Paid when a client is taken on")
    for kind, fee in (table.get("outcome_fees") or {}).items():
        words, unit = OUTCOME_WORDS[kind]
        out += _risk_fee(source, f"outcome_fees.{kind}", f"Fee {words}", unit, fee,
                         f"Paid once per client for the outcome {kind}")
    if "quality_bonus" in table:
        per = table["quality_bonus"].get("per", "client")
        out.append(_money(source, "quality_bonus.max_eur", f"Quality bonus, at most per {per}",
                          f"€/{per}", table["quality_bonus"]["max_eur"],
                          "Paid by the feedback score"))
    for kind, fee in (table.get("firm_fees") or {}).items():
        out.append(_money(source, f"firm_fees.{kind}", f"Fee {FIRM_FEE_WORDS[kind]}", "€/firm",
                          fee, "Paid once per firm served"))
    for kind, rule in (table.get("firm_outcomes") or {}).items():
        out.append(_money(source, f"firm_outcomes.{kind}.fee_eur",
                          f"Fee {FIRM_OUTCOME_WORDS[kind]}", "€/firm", rule["fee_eur"],
                          f"Paid when the firm's {kind} reaches {rule['threshold']}"))
    for i, box in enumerate(table.get("black_box") or ()):
        out.append(_money(source, f"black_box.{i}.fee_eur", f"Fee for {box['metric']} "
                          f"reaching {box['target']}", "€", box["fee_eur"],
                          "A provider-proposed metric, paid at its checkpoint"))
    if "budget_cap_eur" in table:
        out.append(_money(source, "budget_cap_eur", "Budget cap", "€", table["budget_cap_eur"],
                          "No more is paid once cumulative payments reach it", MAX_TOTAL_EUR))
    return out


def _blend_levers(source: ContractSource) -> list[Lever]:
    blend = source.table["blend"]
    shares = blend.get("result_shares") or {}

    def lever(key: str, label: str, unit: str, high: float, value: float, where: str,
              description: str) -> Lever:
        return Lever(PREFIX + key, label, GROUP, unit, 0.0, high, False, float(value),
                     _from(source, where) if where else "flat fees in the contract (×1)",
                     description)

    out = [lever("price_per_client_eur", "Price per client", "€/client", 20_000.0,
                 blend["price_per_client_eur"], "blend.price_per_client_eur",
                 "Blended price per client, split into the shares below"),
           lever("base_share", "Base share", "share", 1.0, blend["base_share"],
                 "blend.base_share", "Paid on attachment, whatever the result")]
    out += [lever(f"{kind}_share", f"Result share: {kind.replace('_', ' ')}", "share", 1.0,
                  shares.get(kind, 0.0), f"blend.result_shares.{kind}",
                  "Share of the price paid on this outcome; the quality bonus gets what is "
                  "left") for kind in FEE_SHARES]
    out += [Lever(PREFIX + f"{tier}_risk_multiplier", f"{tier.capitalize()}-risk fee multiplier",
                  GROUP, "×", 0.25, 4.0, False, 1.0, "flat fees in the contract (×1)",
                  "Result fees for medium/high-risk clients as a multiple of the low-risk fee")
            for tier in ("medium", "high")]
    return out


# --- the edited contract -----------------------------------------------------------------------

def _cents(value: float) -> float:
    return float(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN))


def edited_table(procurement: Procurement, template: str, fees: dict[str, float]
                 ) -> dict[str, Any] | None:
    """The contract table to run: the template with the changed fees written in; ``None``
    when the scenario's own contract runs unchanged. ``fees`` maps lever paths (without the
    ``contract.`` prefix) to values; any problem is a ``ValueError`` with a message."""
    if template == OWN and not fees:
        return None
    source = template_source(procurement, template)
    table = _copy(source.table)
    if source.is_blend and fees:
        table = _expand_blend(table, fees, fee_levers(procurement, template))
    else:
        for path, value in fees.items():
            _write(table, path, value)
    if fees:
        table["title"] = f"{table.get('title', source.name)} (fees edited in the workshop)"
    return table


def _copy(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _copy(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [_copy(v) for v in node]
    return node


def _write(table: dict[str, Any], path: str, value: float) -> None:
    *parents, last = path.split(".")
    node: Any = table
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):  # one risk class of a tiered fee
        node[int(last)] = _cents(value)
    elif last in ("max_share",):
        node[last] = value
    elif isinstance(node.get(last), list):
        raise ValueError(f"contract {path} is paid by risk class: change one class")
    else:
        node[last] = _cents(value)


def _expand_blend(table: dict[str, Any], fees: dict[str, float], levers: list[Lever]
                  ) -> dict[str, Any]:
    """A blend with the shares changed, written out as attachment, outcome and quality fees
    (the quality bonus gets what the base and result shares leave)."""
    values = {lever.path.removeprefix(PREFIX): lever.default for lever in levers}
    values.update(fees)
    blend = table.pop("blend")
    price, base = values["price_per_client_eur"], values["base_share"]
    results = {kind: values[f"{kind}_share"] for kind in FEE_SHARES}
    quality = 1.0 - base - sum(results.values())
    if quality < -1e-9:
        raise ValueError(f"contract fee mix: base share + result shares = "
                         f"{base + sum(results.values()):.3g}, more than 1")
    tiers = (1.0, values["medium_risk_multiplier"], values["high_risk_multiplier"])
    if price * base > 0:
        table["attachment_fee"] = _cents(price * base)
    outcome = {kind: [_cents(price * share * t) for t in tiers]
               for kind, share in results.items() if share > 0 and kind in OUTCOME_KINDS}
    if outcome:
        table["outcome_fees"] = outcome
    if price * quality > 0.005:
        table["quality_bonus"] = {"max_eur": _cents(price * quality),
                                  "rule": blend.get("quality_rule", "proportional")}
        if blend.get("non_response_fraction") is not None:
            table["quality_bonus"]["non_response_fraction"] = blend["non_response_fraction"]
    return table


# --- in words ---------------------------------------------------------------------------------

def _eur(value: Any) -> str:
    amount = float(value)
    return f"{amount:,.0f} €" if amount.is_integer() else f"{amount:,.2f} €"


def _fee(value: tuple[Decimal, Decimal, Decimal]) -> str:
    low, medium, high = value
    if low == medium == high:
        return _eur(low)
    return f"{_eur(low)} / {_eur(medium)} / {_eur(high)} (low / medium / high risk)"


def in_words(contract: Contract) -> list[str]:
    """What the contract pays, one plain line per fee (``2,000 € per placement``)."""
    lines = []
    if contract.base_fee is not None:
        lines.append(f"base fee {_eur(contract.base_fee.total_eur)}")
    else:
        lines.append("no base fee")
    if contract.steering_bonus is not None:
        lines.append(f"steering-group bonus up to {float(contract.steering_bonus.max_share):.0%}"
                     " of the base fee")
    if contract.attachment_fee is not None:
        lines.append(f"{_fee(contract.attachment_fee)} per client taken on")
    for kind, fee in contract.outcome_fees.priced():
        lines.append(f"{_fee(fee)} {OUTCOME_WORDS[kind][0]}")
    if not any(kind.startswith("employed_") for kind, _ in contract.outcome_fees.priced()):
        lines.append("nothing for lasting employment")
    if contract.quality_bonus is not None:
        lines.append(f"quality bonus up to {_eur(contract.quality_bonus.max_eur)} per "
                     f"{contract.quality_bonus.per}")
    for kind, fee in contract.firm_fees.priced():
        lines.append(f"{_eur(fee)} {FIRM_FEE_WORDS[kind]}")
    for kind, rule in contract.firm_outcomes.priced():
        lines.append(f"{_eur(rule.fee_eur)} {FIRM_OUTCOME_WORDS[kind]}")
    for box in contract.black_box:
        lines.append(f"{_eur(box.fee_eur)} if {box.metric} reaches {box.target:g}")
    if contract.budget_cap_eur is not None:
        lines.append(f"budget cap {_eur(contract.budget_cap_eur)}")
    return lines
