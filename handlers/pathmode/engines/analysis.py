"""The local codebase-analysis engine: a shallow ``git clone`` of the bound repository into a
temporary folder (always removed), a spec-targeted slice of its files, and an implementation
context synthesised from that slice.

Ranking: the spec's words are weighted by where they come from (title 3, objective 2,
outcomes 2, edge cases 1). A file scores, per word, its weight × (4 if the word is in its path,
plus how often it occurs in the file, at most 5). The 8 best files with a score are the
relevant areas, each with the words that put it there as its reason.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from handlers.pathmode.engines import EngineError
from handlers.pathmode.engines._text import raw_words, stem, term_counts, terms
from spec_server import clock

CLONE_TIMEOUT_S = 120
MAX_FILES = 2000
MAX_FILE_BYTES = 256 * 1024
TOP_FILES = 8
SKIPPED_DIRS = frozenset({".git", "node_modules", "vendor", "dist", "build", "__pycache__", ".venv", "venv"})
WEIGHTS = (("title", 3), ("objective", 2), ("outcome", 2), ("edge case", 1))


@dataclass(frozen=True)
class AnalysisRequest:
    spec: dict  # the API intent shape
    repository: str  # local path, file:// URL or git URL
    spec_version: str  # analyzedSpecVersion


@dataclass(frozen=True)
class SourceFile:
    path: str
    text: str

    @property
    def lines(self) -> int:
        return self.text.count("\n") + 1


def repo_identity(repository: str) -> dict:
    """analyzedRepo without the ref: provider, owner, name."""
    scp = re.match(r"^[\w.-]+@([\w.-]+):(.+)$", repository)  # git@github.com:owner/name.git
    if scp:
        host, path = scp.group(1), scp.group(2)
    else:
        parsed = urlparse(repository)
        host = parsed.hostname if parsed.scheme not in ("", "file") else None
        path = parsed.path if parsed.scheme else repository
    parts = [p for p in path.rstrip("/").split("/") if p]
    name = re.sub(r"\.git$", "", parts[-1]) if parts else "repository"
    owner = parts[-2] if len(parts) > 1 else ""
    provider = {"github.com": "github", "gitlab.com": "gitlab", "bitbucket.org": "bitbucket"}.get(
        host or "", "git" if host else "local")
    return {"provider": provider, "owner": owner, "name": name}


# git reads an argument beginning with "-" as an option (``--upload-pack=<command>`` runs a
# command) and ``<transport>::<address>`` as a remote helper (``ext::<command>`` runs one);
# a bound repository is neither. Clones also run with only these transports allowed.
ALLOWED_PROTOCOLS = "file:git:http:https:ssh"
_REMOTE_HELPER = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*::")


def refusal(repository: str) -> str | None:
    """Why ``repository`` cannot be cloned, or None: the one rule for seeding and cloning."""
    text = (repository or "").strip()
    if text.startswith("-"):
        return "a repository must not begin with '-' (git would read it as an option)"
    if _REMOTE_HELPER.match(text):
        return "transport::address repositories (ext::, fd::, ...) are not allowed"
    return None


def clone_url(repository: str) -> str:
    path = Path(repository)
    return path.resolve().as_uri() if path.is_dir() else repository  # file:// so --depth applies


def _git(*args: str, cwd: str | None = None) -> str:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ALLOW_PROTOCOL": ALLOWED_PROTOCOLS}
    try:
        done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=CLONE_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise EngineError(f"git {args[0]} failed: {error}") from error
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["unknown error"])[-1]
        raise EngineError(f"git {args[0]} failed: {last}")
    return done.stdout.strip()


def shallow_clone(repository: str, dest: Path) -> str:
    """Clone the default branch at depth 1; returns the branch name (the ref)."""
    refused = refusal(repository)
    if refused:
        raise EngineError(f"git clone refused: {refused}")
    # options first, then "--": whatever follows is a repository and a folder, never an option
    _git("-c", "protocol.ext.allow=never", "clone", "--depth", "1", "--quiet", "--no-tags", "--",
         clone_url(repository), str(dest))
    return _git("rev-parse", "--abbrev-ref", "HEAD", cwd=str(dest))


def source_files(root: Path) -> list[SourceFile]:
    found = []
    for directory, subdirs, names in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d not in SKIPPED_DIRS)
        for name in sorted(names):
            path = Path(directory) / name
            try:
                if path.is_symlink() or path.stat().st_size > MAX_FILE_BYTES:
                    continue
                data = path.read_bytes()
            except OSError:
                continue
            if b"\0" in data[:8192]:
                continue  # binary
            found.append(SourceFile(path.relative_to(root).as_posix(), data.decode("utf-8", "replace")))
            if len(found) >= MAX_FILES:
                return found
    return found


def weighted_terms(spec: dict) -> dict[str, tuple[int, str]]:
    """term -> (weight, where it comes from); the heaviest origin wins."""
    texts = {
        "title": [spec.get("title") or ""],
        "objective": [spec.get("objective") or ""],
        "outcome": [o.get("text", "") if isinstance(o, dict) else str(o) for o in spec.get("outcomes") or []],
        "edge case": [f"{c['scenario']} {c['expectedBehavior']}" for c in spec.get("edgeCases") or []],
    }
    weighted: dict[str, tuple[int, str]] = {}
    for origin, weight in WEIGHTS:
        for text in texts[origin]:
            for term in terms(text):
                if term not in weighted or weighted[term][0] < weight:
                    weighted[term] = (weight, origin)
    return weighted


def rank(files: list[SourceFile], weighted: dict[str, tuple[int, str]]) -> list[dict]:
    ranked: list[dict[str, Any]] = []
    for file in files:
        path_terms = {stem(word) for word in raw_words(file.path)}
        counts = term_counts(file.text)
        in_path: list[str]
        in_text: list[str]
        score, in_path, in_text = 0, [], []
        for term, (weight, _origin) in weighted.items():
            hit_path, hits = term in path_terms, min(counts.get(term, 0), 5)
            if hit_path or hits:
                score += weight * (4 * hit_path + hits)
                (in_path if hit_path else in_text).append(term)
        if score:
            ranked.append({"file": file, "score": score, "in_path": in_path, "in_text": in_text})
    ranked.sort(key=lambda r: (-r["score"], r["file"].path))
    return ranked[:TOP_FILES]


def reason_for(entry: dict, weighted: dict[str, tuple[int, str]]) -> str:
    parts = []
    if entry["in_path"]:
        parts.append("its path names " + ", ".join(f"'{t}'" for t in entry["in_path"]))
    if entry["in_text"]:
        parts.append("it mentions " + ", ".join(f"'{t}'" for t in entry["in_text"][:6]))
    origins = sorted({weighted[t][1] for t in entry["in_path"] + entry["in_text"]},
                     key=[origin for origin, _ in WEIGHTS].index)
    return f"{'; '.join(parts).capitalize()} (from the intent's {', '.join(origins)})."


def first_comment(text: str) -> str | None:
    for line in text.splitlines()[:40]:
        stripped = line.strip().strip("#/*\"' ").strip()
        if line.strip().startswith(("#", "//", "/*", "*", '"""', "'''")) and len(stripped) > 10 \
                and not stripped.startswith("!"):
            return stripped
    return None


def is_test(path: str) -> bool:
    return bool(re.search(r"(^|/)(tests?|spec|__tests__)(/|$)|(^|/)test_|_test\.|\.test\.|\.spec\.", path))


def synthesize(spec: dict, files: list[SourceFile], ranked: list[dict], weighted, repo: dict,
               version: str) -> dict:
    outcomes = [o.get("text", "") if isinstance(o, dict) else str(o) for o in spec.get("outcomes") or []]
    edge_cases = spec.get("edgeCases") or []
    areas = [{"path": e["file"].path, "reason": reason_for(e, weighted)} for e in ranked]
    if ranked:
        top = ranked[0]["file"]
        summary = first_comment(top.text)
        behaviour = (f"{len(ranked)} of {len(files)} files relate to this intent; the closest is "
                     f"{top.path} ({top.lines} lines)" + (f", which describes itself as: \"{summary}\"." if summary else "."))
    else:
        behaviour = (f"None of the {len(files)} files mentions this intent's terms: the behaviour "
                     "does not exist yet and will be new code.")
    units = len(outcomes) + len(edge_cases)
    if not ranked:
        lift = "large" if units > 3 else "medium"
    else:
        lift = "small" if len(ranked) <= 2 and units <= 3 else "medium" if len(ranked) <= 5 else "large"
    relevant_terms = set().union(*(set(e["in_path"]) | set(e["in_text"]) for e in ranked)) if ranked else set()
    risks = [f"Edge case \"{c['scenario']}\" matches no existing code; it is easy to miss."
             for c in edge_cases if not set(terms(f"{c['scenario']} {c['expectedBehavior']}")) & relevant_terms]
    risks += [f"{e['file'].path} is large ({e['file'].lines} lines); changes there need care."
              for e in ranked if e["file"].lines > 400]
    test_areas = [e["file"].path for e in ranked if is_test(e["file"].path)]
    if ranked and not test_areas:
        risks.append("No test file is among the relevant areas; regressions may go unnoticed.")
    suggestions = [f"Add a test proving: {text}" for text in outcomes]
    suggestions += [f"Test the edge case \"{c['scenario']}\": {c['expectedBehavior']}" for c in edge_cases]
    suggestions += [f"Extend the existing tests in {path}" for path in test_areas]
    return {
        "relevantAreas": areas,
        "currentBehavior": behaviour,
        "liftEstimate": lift,
        "risks": risks,
        "verificationSuggestions": suggestions,
        "analyzedAt": clock.iso(clock.now_ms()),
        "analyzedRepo": repo,
        "analyzedSpecVersion": version,
    }


class LocalAnalysisEngine:
    name = "local repository analyzer"

    def analyze(self, request: AnalysisRequest) -> Iterator[dict]:
        identity = repo_identity(request.repository)
        label = "/".join(filter(None, (identity["owner"], identity["name"])))
        workdir = Path(tempfile.mkdtemp(prefix="pathmode-analysis-"))
        try:
            yield {"phase": "cloning", "message": f"Cloning {label} (default branch)"}
            ref = shallow_clone(request.repository, workdir / "repo")
            files = source_files(workdir / "repo")
            yield {"phase": "analyzing",
                   "message": f"Ranking {len(files)} files against the intent's title, objective, outcomes and edge cases"}
            weighted = weighted_terms(request.spec)
            ranked = rank(files, weighted)
            context = synthesize(request.spec, files, ranked, weighted, {**identity, "ref": ref},
                                 request.spec_version)
            yield {"phase": "writing", "message": "Persisting implementation context", "partialResult": context}
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
