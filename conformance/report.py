"""What a run prints and writes: the summary table, failures with curl lines, JUnit XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from conformance.runner import ApiResult

# why a documented status is typically never observed (shown when it was not)
UNOBSERVED_REASONS = {
    "200": "no generated request met the operation's preconditions (see the stateful links)",
    "201": "no generated request met the operation's preconditions (see the stateful links)",
    "204": "no stateful chain reached the delete with a live id",
    "400": "no malformed request reached this operation's own 400 path",
    "401": "the suite always authenticates except in ignored_auth probes",
    "403": "the suite calls as an authorized tenant member",
    "404": "every id the suite sent existed in the caller's tenant",
    "409": "no conflicting state was produced (no duplicate or state clash)",
    "422": "no schema-breaking body reached this operation",
    "429": "rate limits are above the suite's request volume",
    "500": "documented server error: the server never failed",
    "503": "the dependency (AI grader, repository store) was available",
}


def summary_lines(result: ApiResult) -> list[str]:
    lines = [f"== {result.api}: operations x documented status codes observed (count) ==",
             "   (code!:n = an undocumented status; 405 comes from the unsupported_method probes)"]
    for label in sorted(result.documented):
        documented = result.documented[label]
        seen = result.observed.get(label, {})
        cells = [f"{code}:{seen.get(int(code), 0)}" if code.isdigit() else code for code in documented]
        extra = [f"{code}!:{count}" for code, count in sorted(seen.items()) if str(code) not in documented]
        flag = "  [501 NOT IMPLEMENTED]" if label in result.not_implemented else ""
        lines.append(f"  {label:<62} {' '.join(cells + extra)}{flag}")
        for code in documented:
            if code.isdigit() and not seen.get(int(code)):
                lines.append(f"      never observed {code}: {UNOBSERVED_REASONS.get(code, 'not provoked by the suite')}")
    if result.not_implemented:
        lines.append(f"  operations answering 501 ({len(result.not_implemented)}): "
                     + ", ".join(sorted(result.not_implemented)))
    for reason in result.skipped:
        lines.append(f"  skipped: {reason}")
    return lines


def failure_lines(result: ApiResult) -> list[str]:
    lines = []
    for failure in result.failures:
        lines.append(f"FAIL [{result.api}] {failure.operation} — {failure.check}: {failure.title}")
        if failure.message:
            lines.extend("    " + line for line in failure.message.splitlines()[:12])
        steps = [step for step in (failure.curl or "").splitlines() if step.strip()]
        for index, step in enumerate(steps):
            lines.append(("    reproduce: " if index == 0 else "               ") + step)
    for error in result.errors:
        lines.append(f"ERROR [{result.api}] {error.splitlines()[0] if error else ''}")
    return lines


def write_junit(results: list[ApiResult], path: str) -> None:
    suites = ET.Element("testsuites", name="spec-server conformance")
    for result in results:
        failures_by_op: dict[str, list] = {}
        for failure in result.failures:
            failures_by_op.setdefault(failure.operation, []).append(failure)
        labels = sorted(set(result.documented) | set(failures_by_op))
        suite = ET.SubElement(suites, "testsuite", name=result.api, tests=str(len(labels) + len(result.errors)),
                              failures=str(len(failures_by_op)), errors=str(len(result.errors)))
        for label in labels:
            case = ET.SubElement(suite, "testcase", classname=result.api, name=label)
            for failure in failures_by_op.get(label, []):
                element = ET.SubElement(case, "failure", type=failure.check, message=failure.title)
                element.text = f"{failure.message}\n\nreproduce: {failure.curl}"
            if label in result.not_implemented and label not in failures_by_op:
                ET.SubElement(case, "skipped", message="501 Not Implemented (allowed for the interim)")
        for index, error in enumerate(result.errors):
            case = ET.SubElement(suite, "testcase", classname=result.api, name=f"error {index + 1}")
            ET.SubElement(case, "error", message=error.splitlines()[0] if error else "error").text = error
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)
