"""C2PA Content Credentials: who signed the image, which tools and AI models made it, and
whether the signature still holds.

Reading is offline by design. The C2PA library fetches remote manifests by default (and can
fetch OCSP responses and CAWG identity documents); analyzing an uploaded file must never make
the server contact an address the file names, so every fetch is switched off and a remote
manifest reference is reported as evidence instead.

A valid signature proves the manifest is intact and who signed it, not that the signer told
the truth. So a signed AI declaration is decisive (no one forges a label against themselves),
while a signed camera capture counts as strong evidence only when the signer is on a trust
list: anyone can sign "digitalCapture" with a certificate they made themselves. For the same
reason an AI declaration stays decisive when only the signer's credential fails (expired,
untrusted, not C2PA-conformant) as long as the claim's signature verifies and its hard
binding matches these bytes; a capture claim gets no such leniency (docs/provenance.md).
Which signers are trusted is c2pa_trust.py's business: the fetched C2PA trust list by default.
"""

import io
import json
from typing import Literal

from pydantic import BaseModel, Field

from .. import source_types
from ..evidence import Evidence, GeneratorGuess, Signal
from ..media import Media
from .base import DEFAULT_OPTIONS, AnalysisOptions, Analyzer
from .c2pa_locate import locate
from .c2pa_trust import C2paTrustError, TrustAnchor, TrustSource, load_trust
from .families import UNKNOWN, family_for
from .registry import register

State = Literal["none", "trusted", "valid", "valid-untrusted", "invalid", "unreadable", "remote-unresolved"]

AI_TYPES = source_types.AI_GENERATED | source_types.AI_PART  # source types that declare generative AI, in whole or in part

# Failures that only say the signer is not on our trust list: the integrity checks passed.
UNTRUSTED_CODES = {"signingCredential.untrusted", "cawg.x509.credential.untrusted"}
# Failures about who signed and when (the certificate, its expiry, the time-stamp), not about
# what was signed: the claim and its binding to the pixels can still hold.
CREDENTIAL_FAILURES = ("signingCredential.", "timeStamp.", "cawg.x509.credential.")
# Success codes saying the manifest's hard binding matches these bytes.
HARD_BINDINGS = {"assertion.dataHash.match", "assertion.boxesHash.match", "assertion.bmffHash.match", "assertion.collectionHash.match"}
_ORIGIN_ACTIONS = ("c2pa.created", "c2pa.opened")
_AI_ASSERTION_WORDS = ("generative-ai", "generative_ai", "ai_generated", "ai-generated")
_UNREADABLE_REASONS = (("unknown algorithm", "unknown-algorithm"), ("prerelease", "prerelease"), ("jumbf", "malformed"))


class Certificate(BaseModel):
    subject: str | None = None
    issuer: str | None = None
    serial: str | None = None
    not_before: str | None = None
    not_after: str | None = None


class Signer(BaseModel):
    organization: str | None = None  # the signing certificate's organisation (C2PA tools call it "issuer")
    common_name: str | None = None
    algorithm: str | None = None
    signed_at: str | None = None  # from a time-stamp, when the manifest has one
    certificate: Certificate | None = None
    timestamp_authority: str | None = None


class Action(BaseModel):
    action: str
    software_agent: str | None = None
    digital_source_type: str | None = None  # the IPTC term, without its namespace


class Ingredient(BaseModel):
    title: str | None = None
    format: str | None = None
    relationship: str | None = None  # parentOf, componentOf, inputTo
    manifest: str | None = None  # label of the ingredient's own manifest in this store


class Manifest(BaseModel):
    label: str
    active: bool = False
    claim_generator: str | None = None  # v1 string, or v2 claim_generator_info name/version
    title: str | None = None
    format: str | None = None
    signer: Signer | None = None
    actions: list[Action] = Field(default_factory=list)
    ai_assertions: list[str] = Field(default_factory=list)  # assertion labels that declare generative AI
    training_mining: dict[str, str] = Field(default_factory=dict)  # e.g. c2pa.ai_training: notAllowed
    ingredients: list[Ingredient] = Field(default_factory=list)


class Failure(BaseModel):
    code: str
    explanation: str | None = None


class C2paEvidence(Evidence):
    state: State
    store_present: bool
    remote_url: str | None = None  # a remote manifest named in XMP: reported, never fetched
    error: str | None = None  # why an unreadable store could not be read
    error_detail: str | None = None
    active_manifest: str | None = None
    manifests: list[Manifest] = Field(default_factory=list)
    failures: list[Failure] = Field(default_factory=list)  # validation failures, untrusted-signer codes excluded
    bound: bool = False  # the active claim's signature verifies and its hard binding matches these bytes
    source_type: str | None = None  # the asset's own digital source type (following parentOf ingredients)
    source_types: list[str] = Field(default_factory=list)  # every type declared by an action of any manifest
    ai_claim: Literal["generated", "partly"] | None = None
    ai_reason: str | None = None  # what in the manifest says so
    generator: GeneratorGuess | None = None
    trust: TrustSource | None = None  # which anchors the signature was checked against
    anchor: TrustAnchor | None = None  # where a trusted signer's chain ends, when it can be named

    @property
    def active(self) -> Manifest | None:
        return next((m for m in self.manifests if m.active), None)

    @property
    def software_agent(self) -> str | None:
        """The first software agent named by the active manifest's actions."""
        active = self.active
        return next((a.software_agent for a in active.actions if a.software_agent), None) if active else None

    def signals(self) -> list[Signal]:
        if self.state == "remote-unresolved":
            return [_informative(f"Remote manifest at {self.remote_url}, not fetched: nothing about it is verified.")]
        if self.state == "unreadable":
            return [_informative(f"A C2PA manifest store is present but could not be read ({self.error}).")]
        if self.state == "none":
            return []
        if self.ai_claim:
            return [self._ai_signal()]
        if self.source_type in source_types.CAPTURE and self.state != "invalid":
            return [self._capture_signal()]
        generator = (self.active.claim_generator if self.active else None) or "unknown"
        if self.state == "invalid":
            return [_informative(f"A C2PA manifest (claim generator {generator}) fails validation ({self._codes()}).")]
        return [_informative(f"C2PA Content Credentials {self._signed()} (claim generator {generator}) declare no AI.")]

    def _ai_signal(self) -> Signal:
        """Decisive when the signature holds; an invalid manifest's claim is only likely."""
        by = f" by {self.generator.detail}" if self.generator and self.generator.detail else ""
        what = f"AI-generated{by}"
        if self.ai_claim == "partly":
            what = f"partly AI (elements generated{by} in an edited image)"
        strength = "decisive"
        summary = f"C2PA Content Credentials {self._signed()} declare the image {what} ({self.ai_reason})."
        if self.state == "invalid" and self._credential_only():
            summary = (
                f"C2PA Content Credentials {self._signer()} declare the image {what} ({self.ai_reason}). Only the "
                f"signer's credential fails validation ({self._codes()}); the signature and its binding to these "
                "bytes hold, and no one gains by falsely labelling their own picture AI, so the claim counts."
            )
        elif self.state == "invalid":
            strength = "strong"
            summary = (
                f"A C2PA manifest {self._signer()} declares the image {what} ({self.ai_reason}), but it fails "
                f"validation ({self._codes()}), so the claim is likely but not verified."
            )
        return Signal(kind="provenance", points_to="ai", strength=strength, summary=summary, generator=self.generator)

    def _capture_signal(self) -> Signal:
        """Strong only from a trusted signer: anyone can sign "digitalCapture" with a home-made certificate."""
        summary = f"C2PA Content Credentials {self._signed()} record a capture from real life ({self.source_type}), no AI."
        if self.state == "valid-untrusted":
            summary += " The signer is on no trust list, so anyone could have made them: weak evidence."
            return Signal(kind="provenance", points_to="human", strength="weak", summary=summary)
        return Signal(kind="provenance", points_to="human", strength="strong", summary=summary)

    def _signer(self) -> str:
        signer = self.active.signer if self.active else None
        who = (signer.organization or signer.common_name) if signer else None
        return f"signed by {who}" if who else "signed"

    def _signed(self) -> str:
        trust = {"trusted": "on the trust list", "valid-untrusted": "signer on no configured trust list"}
        if self.anchor:
            name = self.anchor.common_name or self.anchor.organization
            trust["trusted"] = f"trusted through {name} ({self.anchor.trust_list})"
        return f"{self._signer()} (valid signature, {trust.get(self.state, 'trust not checked')})"

    def _credential_only(self) -> bool:
        """The claim is signed and bound to these bytes; what fails is only about the certificate."""
        return self.bound and all(f.code.startswith(CREDENTIAL_FAILURES) for f in self.failures)

    def _codes(self) -> str:
        return ", ".join(f.code for f in self.failures) or "validation state invalid"


def _informative(summary: str) -> Signal:
    return Signal(kind="provenance", points_to=None, summary=summary)


@register
class C2paAnalyzer(Analyzer):
    name = "c2pa"
    version = "1.1.0"  # 1.1: trust anchors from the fetched C2PA trust list, the anchor named
    evidence_model = C2paEvidence
    description = "C2PA Content Credentials: manifests, signer, actions, AI declarations, validation (offline)."

    def __init__(self, settings):
        super().__init__(settings)
        self._context = None  # built on first use: importing the C2PA library costs ~0.1 s
        self._trust = None

    def analyze(self, media: Media, options: AnalysisOptions = DEFAULT_OPTIONS) -> C2paEvidence:
        found = locate(media.data, media.meta.format)
        if not found.store:
            if found.remote_url:
                return C2paEvidence(state="remote-unresolved", store_present=False, remote_url=found.remote_url)
            return C2paEvidence(state="none", store_present=False)
        return self._read(media, found.remote_url)

    def _read(self, media: Media, remote_url: str | None) -> C2paEvidence:
        import c2pa

        try:
            with c2pa.Reader(media.meta.mime_type, io.BytesIO(media.data), None, self._library_context()) as reader:
                store = json.loads(reader.json())
                certificates = _certificates(reader)
        except c2pa.C2paError.ManifestNotFound:  # the cheap look found a JUMBF box that holds no C2PA store
            return C2paEvidence(state="none", store_present=False)
        except c2pa.C2paError as exc:
            message = str(exc)
            if message.startswith(("Remote", "RemoteManifest")):
                url = remote_url or message.rpartition(" ")[2]
                return C2paEvidence(state="remote-unresolved", store_present=False, remote_url=url)
            return C2paEvidence(state="unreadable", store_present=True, error=_reason(message), error_detail=message)
        evidence = _evidence(store, certificates, remote_url)
        signature = _dict(certificates.get(evidence.active_manifest)).get("certificateInfo")
        anchor = self._trust.anchor_for(signature) if evidence.state == "trusted" and isinstance(signature, dict) else None
        return evidence.model_copy(update={"trust": self._trust.source, "anchor": anchor})

    def _library_context(self):
        if self._context is None:
            import c2pa

            trust = load_trust(self.settings)
            try:
                self._context = c2pa.Context.from_dict(_library_settings(trust.library_settings()))
            except c2pa.C2paError as exc:
                raise C2paTrustError(f"the C2PA trust anchors cannot be used: {exc}") from None
            self._trust = trust
        return self._context


def _library_settings(trust: dict) -> dict:
    """c2pa-rs settings: every network access off, our trust anchors on."""
    return {
        "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False, "verify_trust": True},
        # No host may be contacted at all, whatever a manifest asks (e.g. CAWG did:web documents).
        "core": {"allowed_network_hosts": []},
        "trust": trust,
    }


def _reason(message: str) -> str:
    lowered = message.lower()
    return next((reason for text, reason in _UNREADABLE_REASONS if text in lowered), "unreadable")


def _certificates(reader) -> dict[str, dict]:
    """Signing-certificate details per manifest label, from the library's crJSON view."""
    import c2pa

    try:
        manifests = json.loads(reader.crjson()).get("manifests")
    except (c2pa.C2paError, ValueError, AttributeError):
        return {}
    return {m["label"]: _dict(m.get("signature")) for m in _dicts(manifests) if isinstance(m.get("label"), str)}


def _evidence(store: dict, certificates: dict[str, dict], remote_url: str | None) -> C2paEvidence:
    active_label = store.get("active_manifest")
    manifests = [
        _manifest(label, body, label == active_label, certificates.get(label, {}))
        for label, body in _dict(store.get("manifests")).items()
        if isinstance(body, dict)
    ]
    entries = _failure_entries(store)
    failures = _failures(entries)
    untrusted = any(entry.get("code") in UNTRUSTED_CODES for entry in entries)
    active = next((m for m in manifests if m.active), None)
    origin = _origin(active, {m.label: m for m in manifests})
    ai_claim, ai_reason, generator = _ai_declaration(manifests, active, origin)
    return C2paEvidence(
        state=_state(store.get("validation_state"), failures, untrusted),
        store_present=True,
        remote_url=remote_url,
        active_manifest=active.label if active else None,
        manifests=manifests,
        failures=failures,
        bound=_bound(store),
        source_type=origin.digital_source_type if origin else None,
        source_types=sorted({a.digital_source_type for m in manifests for a in m.actions if a.digital_source_type}),
        ai_claim=ai_claim,
        ai_reason=ai_reason,
        generator=generator,
    )


def _state(library_state, failures: list[Failure], untrusted: bool) -> State:
    if failures or library_state == "Invalid":
        return "invalid"
    if library_state == "Trusted":
        return "trusted"
    return "valid-untrusted" if untrusted else "valid"


def _failure_entries(store: dict) -> list[dict]:
    """Failures over the active manifest and the ingredients' deltas (the validation result)."""
    results = store.get("validation_results")
    if not isinstance(results, dict):  # stores read by older library versions only had this list
        return _dicts(store.get("validation_status"))
    entries = _dicts(_dict(results.get("activeManifest")).get("failure"))
    for delta in _dicts(results.get("ingredientDeltas")):
        entries += _dicts(_dict(delta.get("validationDeltas")).get("failure"))
    return entries


def _bound(store: dict) -> bool:
    """Whether the active manifest's signature verified and a hard binding matched the bytes."""
    results = store.get("validation_results")
    if not isinstance(results, dict):
        return False
    codes = {str(entry.get("code")) for entry in _dicts(_dict(results.get("activeManifest")).get("success"))}
    return "claimSignature.validated" in codes and bool(codes & HARD_BINDINGS)


def _failures(entries: list[dict]) -> list[Failure]:
    seen: dict[str, Failure] = {}
    for entry in entries:
        code = str(entry.get("code"))
        if code not in UNTRUSTED_CODES and code not in seen:
            seen[code] = Failure(code=code, explanation=_text(entry.get("explanation")))
    return list(seen.values())


def _manifest(label: str, body: dict, active: bool, signature: dict) -> Manifest:
    assertions = _dicts(body.get("assertions"))
    return Manifest(
        label=label,
        active=active,
        claim_generator=_claim_generator(body),
        title=_text(body.get("title")),
        format=_text(body.get("format")),
        signer=_signer(body.get("signature_info"), signature),
        actions=[action for assertion in assertions for action in _actions(assertion)],
        ai_assertions=[a["label"] for a in assertions if _declares_ai(a.get("label"))],
        training_mining=_training_mining(assertions),
        ingredients=[
            Ingredient(
                title=_text(i.get("title")),
                format=_text(i.get("format")),
                relationship=_text(i.get("relationship")),
                manifest=_text(i.get("active_manifest")),
            )
            for i in _dicts(body.get("ingredients"))
        ],
    )


def _claim_generator(body: dict) -> str | None:
    if _text(body.get("claim_generator")):
        return _text(body["claim_generator"])
    for info in _dicts(body.get("claim_generator_info")):
        name, version = _text(info.get("name")), _text(info.get("version"))
        if name:
            return f"{name}/{version}" if version else name
    return None


def _signer(info, signature: dict) -> Signer | None:
    if not isinstance(info, dict):
        return None
    cert = _dict(signature.get("certificateInfo"))
    validity = _dict(cert.get("validity"))
    return Signer(
        organization=_text(info.get("issuer")),
        common_name=_text(info.get("common_name")),
        algorithm=_text(info.get("alg")),
        signed_at=_text(info.get("time")),
        certificate=Certificate(
            subject=_dn(cert.get("subject")),
            issuer=_dn(cert.get("issuer")),
            serial=_text(cert.get("serialNumber")),
            not_before=_text(validity.get("notBefore")),
            not_after=_text(validity.get("notAfter")),
        )
        if cert
        else None,
        timestamp_authority=_dn(_dict(_dict(signature.get("timeStampInfo")).get("certificateInfo")).get("subject")),
    )


def _dn(name) -> str | None:
    if not isinstance(name, dict):
        return None
    return ", ".join(f"{key}={value}" for key, value in name.items() if isinstance(value, str)) or None


def _actions(assertion: dict) -> list[Action]:
    if not str(assertion.get("label", "")).startswith("c2pa.actions"):
        return []
    data = _dict(assertion.get("data"))
    agents = data.get("softwareAgents") if isinstance(data.get("softwareAgents"), list) else []
    actions = []
    for action in _dicts(data.get("actions")):
        agent = action.get("softwareAgent")
        index = action.get("softwareAgentIndex")
        if agent is None and isinstance(index, int) and 0 <= index < len(agents):
            agent = agents[index]
        source = _text(action.get("digitalSourceType"))
        actions.append(
            Action(
                action=_text(action.get("action")) or "unknown",
                software_agent=_text(agent.get("name")) if isinstance(agent, dict) else _text(agent),
                digital_source_type=source_types.term(source),
            )
        )
    return actions


def _declares_ai(label) -> bool:
    return isinstance(label, str) and any(word in label.lower() for word in _AI_ASSERTION_WORDS)


def _training_mining(assertions: list[dict]) -> dict[str, str]:
    entries = {}
    for assertion in assertions:
        if str(assertion.get("label", "")).endswith("training-mining"):
            raw = _dict(_dict(assertion.get("data")).get("entries"))
            entries.update({str(k): str(v.get("use")) for k, v in raw.items() if isinstance(v, dict)})
    return entries


def _origin(active: Manifest | None, by_label: dict[str, Manifest]) -> Action | None:
    """The action that made the asset: the first created/opened action that declares a source
    type, following parentOf ingredients back (a conversion or re-save declares none)."""
    manifest, seen, fallback = active, set(), None
    while manifest is not None and manifest.label not in seen:
        seen.add(manifest.label)
        first = next((a for a in manifest.actions if a.action in _ORIGIN_ACTIONS), None)
        if first and first.digital_source_type:
            return first
        fallback = fallback or first
        parent = next((i.manifest for i in manifest.ingredients if i.relationship == "parentOf" and i.manifest), None)
        manifest = by_label.get(parent)
    return fallback


def _ai_declaration(manifests: list[Manifest], active: Manifest | None, origin: Action | None):
    """Does the store declare AI, for the whole image ("generated") or part of it ("partly"), and which generator?"""
    actions = [a for m in manifests for a in m.actions]
    agents = [a.software_agent for a in actions if a.software_agent]
    generators = [m.claim_generator for m in manifests if m.claim_generator]
    ai_types = sorted({a.digital_source_type for a in actions if a.digital_source_type in AI_TYPES})
    ai_tool = next((n for n in agents + generators if family_for(n) != UNKNOWN), None)
    ai_assertions = [label for m in manifests for label in m.ai_assertions]
    if origin and origin.digital_source_type in source_types.AI_GENERATED:
        claim, reason = "generated", f"digitalSourceType {origin.digital_source_type}"
    elif active and family_for(active.claim_generator) != UNKNOWN:
        claim, reason = "generated", "its claim generator is an AI product"
    elif origin and family_for(origin.software_agent) != UNKNOWN:
        claim, reason = "generated", f"{origin.action} by an AI tool"
    elif ai_types:
        claim, reason = "partly", f"digitalSourceType {', '.join(ai_types)}"
    elif ai_tool:
        claim, reason = "partly", f"the AI tool {ai_tool} in its history"
    elif ai_assertions:
        claim, reason = "partly", f"assertion {ai_assertions[0]}"
    else:
        return None, None, None
    ai_agents = [a.software_agent for a in actions if a.software_agent and a.digital_source_type in AI_TYPES]
    signers = [m.signer.organization for m in manifests if m.signer and m.signer.organization]
    names = [origin.software_agent if origin else None, *ai_agents, *agents, *generators]
    return claim, reason, _generator(names, signers)


def _generator(names: list[str | None], signers: list[str]) -> GeneratorGuess:
    for name in names:
        family = family_for(name)
        if family != UNKNOWN:
            return GeneratorGuess(family=family, detail=name)
    for org in signers:  # an AI declaration signed by the vendor itself names the family
        family = family_for(org)
        if family == UNKNOWN and "google" in org.lower():
            family = "google"
        if family != UNKNOWN:
            return GeneratorGuess(family=family, detail=org)
    return GeneratorGuess(detail=next((n for n in names if n), None))


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _dicts(value) -> list[dict]:
    """The dict items of a JSON list; manifests are hostile input and may hold anything."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _text(value) -> str | None:
    return value.strip() or None if isinstance(value, str) else None
