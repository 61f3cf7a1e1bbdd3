"""The README's embedding example runs as written: a WSGI handler doing a one-firm query."""

from __future__ import annotations

import io
import json
import re
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

from conftest import ROOT


def _readme_app():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    code = re.search(r"<!-- embed-example -->\n```python\n(.*?)```", readme, re.S).group(1)
    assert len([ln for ln in code.splitlines() if ln.strip()]) <= 25  # "a dozen lines" plus the server stanza
    namespace: dict = {"__name__": "readme_example"}
    exec(compile(code, "README.md#embed-example", "exec"), namespace)  # our own README, not user input
    return validator(namespace["app"])


def _post(app, body: bytes):
    environ: dict = {}
    setup_testing_defaults(environ)
    environ.update({"REQUEST_METHOD": "POST", "QUERY_STRING": "", "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body)})
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, dict(headers)
        return lambda data: None

    result = app(environ, start_response)
    try:
        payload = b"".join(result)
    finally:
        result.close()
    return seen["status"], seen["headers"], json.loads(payload)


def test_readme_handler_answers_a_one_firm_query():
    app = _readme_app()
    firm = {"uscc": "914403001922038216", "region": "140171", "size": "small", "certs": {"srdi_giant": "2025-03-01"}}
    status, headers, body = _post(app, json.dumps(firm).encode("utf-8"))
    assert status == "200 OK" and headers["Content-Type"].startswith("application/json")
    eligible = [(i["policy_id"], i["item_id"]) for i in body["items"] if i["status"] == "eligible"]
    assert ("027", "2-1") in eligible


def test_readme_handler_turns_bad_input_into_400_naming_the_field():
    app = _readme_app()
    status, _, body = _post(app, json.dumps({"revenue": "很多"}).encode("utf-8"))
    assert status == "400 Bad Request" and body["field"] == "revenue"
    status, _, body = _post(app, b"{not json")
    assert status == "400 Bad Request" and body["error"]
