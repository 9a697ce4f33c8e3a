"""Issue 14: a large upload is stored first and imported by a worker as a job with progress and
a result; only its sender (and supervisors) see it; a job stopped mid-way is taken up again and
lodges nothing twice; an unreadable file is refused at once and nothing is stored."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from karakoram.adapters.db.tables import declarations, upload_jobs
from karakoram.services import bulk, uploads
from karakoram.services.uploads import LostJob, real_now, run_next_upload
from tests.builders import bend, declaration
from tests.integration.test_web import csrf_of, sign_in

JSONL = {"Content-Type": "application/x-ndjson"}
CSV = {"Content-Type": "text/csv"}
N = 12


def jsonl(*documents) -> bytes:
    return ("\n".join(json.dumps(d) for d in documents) + "\n").encode()


def big_file(prefix: str = "JOB", n: int = N) -> bytes:
    return jsonl(*(declaration(f"{prefix}-{k}") for k in range(n)))


def lrn_counts(node) -> Counter[str]:
    with node.engine.connect() as conn:
        return Counter(conn.execute(select(declarations.c.lrn)).scalars())


def job_rows(node) -> int:
    with node.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(upload_jobs)).scalar_one()


@pytest.fixture
def small_jobs(node, monkeypatch):
    """Files of more than 5 lines become jobs, whose progress is recorded every 5 documents."""
    node.settings.upload_job_lines = 5
    monkeypatch.setattr(uploads, "PROGRESS_EVERY", 5)
    return node


def submit(client, keys, body: bytes, partial: bool = False):
    url = "/declarations/bulk" + ("?partial=true" if partial else "")
    answer = client.post(url, content=body, headers=keys.trader | JSONL)
    assert answer.status_code == 202, answer.text
    return answer


@pytest.mark.parametrize("partial", [False, True])
def test_a_large_upload_is_a_job_that_the_worker_imports_whole(client, keys, small_jobs, partial):
    answer = submit(client, keys, big_file(), partial)
    location = answer.headers["location"]
    assert location == f"/declarations/uploads/{answer.json()['id']}"
    queued = client.get(location, headers=keys.trader).json()
    assert queued["status"] == "queued" and queued["result"] is None
    assert (queued["lines_done"], queued["lines_total"]) == (0, N)
    assert lrn_counts(small_jobs) == Counter()  # stored as a job, not yet imported

    assert run_next_upload(small_jobs.ctx, lease=60) is True
    assert run_next_upload(small_jobs.ctx, lease=60) is False  # nothing left
    done = client.get(location, headers=keys.trader).json()
    assert done["status"] == "done" and done["finished_at"] is not None
    assert (done["lines_done"], done["lines_total"]) == (N, N)
    assert done["result"]["summary"] == {"created": N, "existing": 0, "rejected": 0, "conflict": 0}
    assert [r["location"] for r in done["result"]["results"]] == [f"line {k + 1}" for k in range(N)]
    assert lrn_counts(small_jobs) == Counter({f"JOB-{k}": 1 for k in range(N)})


def test_small_uploads_stay_synchronous(client, keys, small_jobs):
    answer = client.post("/declarations/bulk", content=big_file(n=5), headers=keys.trader | JSONL)
    assert answer.status_code == 200
    assert answer.json()["summary"]["created"] == 5
    assert job_rows(small_jobs) == 0


def test_a_partial_job_stopped_mid_way_resumes_after_the_batches_stored(
    client, keys, small_jobs, monkeypatch
):
    lines = [declaration(f"JOB-{k}") for k in range(N)]
    lines[1] = bend(lines[1], "/items/0/unit", "BOX")  # refused, reported with its line
    location = submit(client, keys, jsonl(*lines), partial=True).headers["location"]
    real_check, calls = bulk.check_batch, []

    def crash_on_second_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise ConnectionError("the node stops here")
        return real_check(*args, **kwargs)

    monkeypatch.setattr(uploads, "check_batch", crash_on_second_batch)
    with pytest.raises(ConnectionError):
        run_next_upload(small_jobs.ctx, lease=60)
    stopped = client.get(location, headers=keys.trader).json()
    assert stopped["status"] == "running" and stopped["lines_done"] == 5
    assert sum(lrn_counts(small_jobs).values()) == 4  # the first batch, less the refused line

    monkeypatch.setattr(uploads, "check_batch", real_check)
    assert run_next_upload(small_jobs.ctx, lease=60) is True  # handed back: taken at once
    done = client.get(location, headers=keys.trader).json()
    assert done["status"] == "done" and done["lines_done"] == N
    assert done["result"]["summary"] == {
        "created": N - 1,
        "existing": 0,
        "rejected": 1,
        "conflict": 0,
    }
    refused = done["result"]["results"][1]
    assert refused["location"] == "line 2" and refused["errors"][0]["pointer"] == "/items/0/unit"
    counts = lrn_counts(small_jobs)
    assert len(counts) == N - 1 and set(counts.values()) == {1}


def test_an_all_or_nothing_job_with_a_refused_line_fails_and_stores_nothing(
    client, keys, small_jobs
):
    lines = [declaration(f"JOB-{k}") for k in range(N)]
    lines[7] = bend(lines[7], "/items/0/unit", "BOX")
    location = submit(client, keys, jsonl(*lines)).headers["location"]
    run_next_upload(small_jobs.ctx, lease=60)
    failed = client.get(location, headers=keys.trader).json()
    assert failed["status"] == "failed" and "nothing was stored" in failed["error"]
    (line,) = failed["result"]["results"]
    assert line["location"] == "line 8" and line["errors"][0]["pointer"] == "/items/0/unit"
    assert lrn_counts(small_jobs) == Counter()


def test_a_job_is_seen_by_its_sender_and_supervisors_only(client, keys, small_jobs):
    location = submit(client, keys, big_file()).headers["location"]
    assert client.get(location, headers=keys.other).status_code == 404
    assert client.get(location, headers=keys.officer).status_code == 404
    assert client.get(location, headers=keys.supervisor).json()["lines_total"] == N
    unknown = client.get("/declarations/uploads/no-such-job", headers=keys.trader)
    assert unknown.status_code == 404
    hidden = client.get(location, headers=keys.other)  # told no more than of a job never made
    assert hidden.json()["title"] == unknown.json()["title"]
    assert hidden.headers["content-type"].startswith("application/problem+json")


def test_a_large_file_with_wrong_columns_is_refused_at_once_and_nothing_is_stored(
    client, keys, small_jobs
):
    body = b"reference,kind\n" + b"".join(f"R{k},EX\n".encode() for k in range(N))
    answer = client.post("/declarations/bulk", content=body, headers=keys.trader | CSV)
    assert answer.status_code == 422
    codes = {(e["code"], e["pointer"]) for e in answer.json()["errors"]}
    assert ("unknown_field", "/columns/reference") in codes
    assert ("required", "/columns/lrn") in codes
    assert job_rows(small_jobs) == 0 and lrn_counts(small_jobs) == Counter()


def test_a_line_not_in_utf8_is_reported_with_its_line_number(client, keys, small_jobs):
    body = big_file() + b"\xff\xfe{}\n"
    location = submit(client, keys, body, partial=True).headers["location"]
    run_next_upload(small_jobs.ctx, lease=60)
    done = client.get(location, headers=keys.trader).json()
    assert done["result"]["summary"] == {"created": N, "existing": 0, "rejected": 1, "conflict": 0}
    bad = done["result"]["results"][N]
    assert bad["location"] == f"line {N + 1}" and bad["errors"][0]["code"] == "invalid_encoding"


def test_the_same_large_file_twice_creates_nothing_twice(client, keys, small_jobs):
    first = submit(client, keys, big_file(), partial=True).headers["location"]
    again = submit(client, keys, big_file(), partial=True).headers["location"]
    assert first != again
    while run_next_upload(small_jobs.ctx, lease=60):
        pass
    summaries = [
        client.get(u, headers=keys.trader).json()["result"]["summary"] for u in (first, again)
    ]
    assert summaries[0]["created"] == N and summaries[1] == {
        "created": 0,
        "existing": N,
        "rejected": 0,
        "conflict": 0,
    }
    assert set(lrn_counts(small_jobs).values()) == {1} and len(lrn_counts(small_jobs)) == N


def test_a_worker_whose_lease_ran_out_changes_nothing_more(client, keys, small_jobs):
    """Two workers on one job (the first stalled past its lease): the first's next batch is
    rolled back, and the job is finished once, by the second."""
    location = submit(client, keys, big_file(), partial=True).headers["location"]
    ctx = small_jobs.ctx
    with ctx.uow() as uow:
        stalled = uow.uploads.claim(real_now(), real_now() + timedelta(seconds=60))
        uow.commit()
    later = lambda: real_now() + timedelta(seconds=120)  # noqa: E731
    assert run_next_upload(ctx, lease=60, now=later) is True  # the second takes it over
    assert stalled is not None
    with pytest.raises(LostJob):
        uploads._JobRun(stalled, ctx, 60, real_now).run()
    done = client.get(location, headers=keys.trader).json()
    assert done["status"] == "done" and done["result"]["summary"]["created"] == N
    assert set(lrn_counts(small_jobs).values()) == {1} and len(lrn_counts(small_jobs)) == N


def test_the_web_page_follows_a_large_upload_with_a_progress_bar_then_the_results(
    client, keys, small_jobs
):
    csrf = csrf_of(sign_in(client, keys.trader))
    sent = client.post(
        "/ui/upload",
        data={"csrf": csrf},
        files={"file": ("big.jsonl", big_file(), "application/x-ndjson")},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    page_url = sent.headers["location"]
    page = client.get(page_url)
    assert page.status_code == 200
    assert '<progress class="job-progress" value="0" max="12">' in page.text
    assert 'class="job-refresh"' in page.text  # without script: a link to look again
    assert "/ui/static/upload-job.js" in page.text and "<script>" not in page.text
    status_url = re.search(r'data-status-url="([^"]+)"', page.text).group(1)
    assert client.get(status_url).json() == {"status": "queued", "done": 0, "total": N}

    run_next_upload(small_jobs.ctx, lease=60)
    assert client.get(status_url).json() == {"status": "done", "done": N, "total": N}
    finished = client.get(page_url).text
    assert finished.count('class="outcome-created"') == N and "job-refresh" not in finished
    assert client.get("/ui/static/upload-job.js").status_code == 200

    client.cookies.clear()
    sign_in(client, keys.other)
    assert client.get(page_url).status_code == 404
    assert client.get(status_url).status_code == 404
