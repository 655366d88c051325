"""1,000 agents' desk WebSockets on one node, and how fast an offer reaches the agent.

    .venv/bin/python bench/desk_websockets.py            # 1,000 sockets, 20 chats/s for 30 s
    .venv/bin/python bench/desk_websockets.py --small    # 100 sockets, 10 chats/s for 5 s

Uses (creates, migrates, loads) the PostgreSQL database `kefu_bench_desk`: `--agents` agents
with the web chat skill, ready, up to three chats each, and a chat queue. Starts one
`kefu serve` (uvicorn, the real ASGI application) with REDIS_URL set (`--redis-url`, the
channels_redis layer crosses processes), signs every agent in with a Django session made in
bulk (SessionStore encoding, one INSERT), and opens one desk socket per agent
(`/ws/desk/`, session cookie and Origin header as a browser sends them) from one asyncio
client process (`websockets`). When every socket has said hello, this process, as a chat
channel would, opens chat contacts and enqueues them at `--rate` per second: each enqueue's
commit routes the contact to the best ready agent, whose offer is published on the channel
layer to `staff.<agent id>` and pushed by the server to that agent's socket. Latency is from
just before the enqueue's commit to the offer's arrival on the socket (one clock: both
processes run here). Contacts, entries and agents' states are put back afterwards.

Target: every socket connected and the offer's p95 under 200 ms. Exits 1 when missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as common

TARGET_P95_MS = 200.0
DB = "kefu_bench_desk"
REDIS = "redis://127.0.0.1:6379/5"  # not the default 0: other programs on this Redis use that
QUEUE = "WS-CHAT"


def load(agents: int) -> tuple[list[Any], Any]:
    from django.utils import timezone

    from kefu.accounts.models import AgentSkill, Skill, Team
    from kefu.routing.models import AgentState, Queue

    common.seed_operator(1_000)
    skill = Skill.objects.get_or_create(code="webchat", defaults={"name": "在线客服"})[0]
    queue = Queue.objects.get_or_create(
        code=QUEUE,
        defaults={"name": "在线客服（压测）", "channels": ["chat"], "skill": skill, "offer_timeout_seconds": 60},
    )[0]
    people = common.bulk_staff("ws-", agents, "agent", Team.objects.filter(code="HOT1").first())
    have = set(AgentSkill.objects.filter(agent__in=people, skill=skill).values_list("agent_id", flat=True))
    AgentSkill.objects.bulk_create([AgentSkill(agent=p, skill=skill, level=3) for p in people if p.pk not in have])
    have = set(AgentState.objects.filter(agent__in=people).values_list("agent_id", flat=True))
    now = timezone.now()
    AgentState.objects.bulk_create([AgentState(agent=p, since=now) for p in people if p.pk not in have])
    return people, queue


def reset(people: list[Any]) -> None:
    """No contact waiting or offered; every bench agent ready and idle."""
    from django.db import connection
    from django.utils import timezone

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM routing_routingdecision")
        cursor.execute("DELETE FROM routing_agentstatechange")
        cursor.execute("DELETE FROM routing_queueentry")
        cursor.execute("DELETE FROM contacts_contact")
        cursor.execute(
            "UPDATE routing_agentstate SET status = 'ready', reason = '', text_load = 0, voice_busy = false, "
            "text_capacity = 3, since = %s, idle_since = %s WHERE agent_id = ANY(%s)",
            [timezone.now(), timezone.now(), [p.pk for p in people]],
        )
        # nobody else takes the bench's chats: other agents with the skill are signed out
        cursor.execute(
            "UPDATE routing_agentstate SET status = 'offline' WHERE NOT (agent_id = ANY(%s))", [[p.pk for p in people]]
        )


# --- the socket side (a forked process without Django) ------------------------------------------------


async def _sockets(port: int, cookies: list[str], pipe: Any, batch: int) -> None:
    from websockets.asyncio.client import connect

    receipts: dict[int, float] = {}
    other_events: dict[str, int] = {}
    failures: dict[str, int] = {}
    sockets: list[Any] = []
    uri = f"ws://127.0.0.1:{port}/ws/desk/"
    origin = f"http://127.0.0.1:{port}"

    async def open_one(cookie: str) -> None:
        try:
            socket = await connect(
                uri, origin=origin, additional_headers={"Cookie": f"sessionid={cookie}"},  # type: ignore[arg-type]
                proxy=None, open_timeout=60, ping_interval=None, max_queue=None,
            )  # fmt: skip
            hello = json.loads(await asyncio.wait_for(socket.recv(), 60))
            if hello.get("type") != "hello":
                raise RuntimeError(f"no hello: {hello}")
            sockets.append(socket)
        except Exception as error:
            key = f"{type(error).__name__}: {str(error)[:80]}"
            failures[key] = failures.get(key, 0) + 1

    began = time.monotonic()
    for start in range(0, len(cookies), batch):
        await asyncio.gather(*(open_one(cookie) for cookie in cookies[start : start + batch]))
    connect_seconds = time.monotonic() - began

    async def listen(socket: Any) -> None:
        try:
            async for raw in socket:
                arrived = time.monotonic()
                event = json.loads(raw)
                kind = event.get("type", "?")
                if kind == "offer":
                    receipts[int(event["contact"])] = arrived
                else:
                    other_events[kind] = other_events.get(kind, 0) + 1
        except Exception as error:
            key = f"dropped {type(error).__name__}"
            failures[key] = failures.get(key, 0) + 1

    listeners = [asyncio.create_task(listen(s)) for s in sockets]
    loop = asyncio.get_running_loop()
    pipe.send({"connected": len(sockets), "connect_seconds": connect_seconds, "failures": dict(failures)})
    await loop.run_in_executor(None, pipe.recv)  # the driver says when it is done
    open_at_end = sum(1 for s in sockets if s.state.name == "OPEN")
    for socket in sockets:
        await socket.close()
    for task in listeners:
        task.cancel()
    pipe.send({"receipts": receipts, "other_events": other_events, "failures": failures, "open_at_end": open_at_end})


def _socket_process(port: int, cookies: list[str], pipe: Any, batch: int) -> None:
    asyncio.run(_sockets(port, cookies, pipe, batch))


# --- the driver ------------------------------------------------------------------------------------------


def drive(queue: Any, rate: float, duration: float) -> tuple[dict[int, float], dict[int, float]]:
    """Open and enqueue chats at `rate`/s; returns contact id -> the moment just before the commit,
    and contact id -> the moment the commit's routing and publishing were done here."""
    from django.db import transaction

    from kefu.contacts import services as contacts
    from kefu.routing import services as acd

    sent: dict[int, float] = {}
    published: dict[int, float] = {}
    total = int(rate * duration)
    began = time.monotonic()
    for index in range(total):
        due = began + index / rate
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        with transaction.atomic():
            contact = contacts.open_contact(channel="chat", identity=f"visitor-{index}", display_name=f"访客{index}")
            acd.enqueue(contact, queue)
            sent[contact.pk] = time.monotonic()  # the commit (and routing, on commit) follows
        published[contact.pk] = time.monotonic()
    return sent, published


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=common.default_url(DB))
    parser.add_argument("--redis-url", default=REDIS)
    parser.add_argument("--agents", type=int, default=1_000, help="agents, one desk socket each")
    parser.add_argument("--rate", type=float, default=20.0, help="chats enqueued per second")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of enqueueing")
    parser.add_argument("--connect-batch", type=int, default=50, help="sockets opened at once")
    parser.add_argument("--small", action="store_true", help="100 sockets, 10 chats/s for 5 s: a smoke run")
    parser.add_argument("--output", type=Path, default=None)
    options = parser.parse_args(argv)
    if options.small:
        options.agents, options.rate, options.duration = 100, 10.0, 5.0
        if options.database_url == common.default_url(DB):
            options.database_url = common.default_url(DB + "_small")

    common.setup(options.database_url, redis_url=options.redis_url)
    from django.db import connection

    people, queue = load(options.agents)
    reset(people)
    cookies = common.bulk_sessions(people)
    connection.close()

    env = {"REDIS_URL": options.redis_url, "KEFU_DB_CONN_MAX_AGE": "0", "KEFU_LOG_LEVEL": "WARNING",
           "DATABASE_URL": options.database_url}  # fmt: skip
    servers = common.start_servers(1, env, common.RESULTS / "logs" / "desk_websockets")
    (server, port) = servers[0]
    context = multiprocessing.get_context("fork")
    ours, theirs = context.Pipe()
    client = context.Process(target=_socket_process, args=(port, cookies, theirs, options.connect_batch))
    try:
        client.start()
        opened = ours.recv()
        print(f"{opened['connected']:,}/{len(cookies):,} sockets connected in {opened['connect_seconds']:.1f} s; "
              f"enqueueing {options.rate:g} chats/s for {options.duration:g} s ...", flush=True)  # fmt: skip
        cpu_before = common.server_cpu_seconds([server.pid])
        sent, published = drive(queue, options.rate, options.duration)
        time.sleep(3.0)  # the last offers are on their way
        cpu_server = common.server_cpu_seconds([server.pid]) - cpu_before
        ours.send("done")
        closing = ours.recv()
        client.join(timeout=60)
    finally:
        if client.is_alive():
            client.terminate()
        common.stop_servers(servers)

    from kefu.routing.models import QueueEntry

    offered = dict(QueueEntry.objects.filter(state="offered").values_list("contact_id", "offered_to_id"))
    receipts: dict[int, float] = closing["receipts"]
    latencies = [(receipts[c] - t0) * 1000 for c, t0 in sent.items() if c in receipts]
    lost = [c for c in sent if c in offered and c not in receipts]
    timings = common.percentiles(latencies)
    in_driver = common.percentiles([(published[c] - t0) * 1000 for c, t0 in sent.items() if c in receipts])
    on_the_way = common.percentiles([(receipts[c] - published[c]) * 1000 for c in sent if c in receipts])
    reset(people)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_session WHERE session_key = ANY(%s)", [cookies])

    all_connected = opened["connected"] == len(cookies) and closing["open_at_end"] == len(cookies)
    p95 = timings.get("p95_ms", float("inf"))
    passed = all_connected and not lost and p95 < TARGET_P95_MS
    print(f"\ndesk WebSockets: 1 node (kefu serve / uvicorn), channel layer redis; {len(cookies):,} agents signed in")
    print(f"sockets: {opened['connected']:,} connected in {opened['connect_seconds']:.1f} s, "
          f"{closing['open_at_end']:,} still open at the end; failures: {closing['failures'] or 'none'}")  # fmt: skip
    print(f"chats enqueued {len(sent):,}, offered {len(offered):,}, offers received {len(latencies):,}, "
          f"offered but never received {len(lost):,}; other events received: {closing['other_events']}")  # fmt: skip
    print(f"server CPU during the enqueueing: {cpu_server:.1f} s over {options.duration + 3:.0f} s")
    print(common.TIMING_HEADER)
    print(common.timing_row("enqueue commit -> socket", timings))
    print(common.timing_row("  commit, route, publish", in_driver))
    print(common.timing_row("  published -> socket", on_the_way))
    print("\n" + common.verdict(f"all sockets up and offer p95 < {TARGET_P95_MS:.0f} ms", passed, f"p95 {p95:.1f} ms"))
    common.write_results(
        "desk_websockets",
        {
            **common.environment(),
            "setup": {
                "server": "1 x kefu serve (uvicorn), REDIS_URL set",
                "agents": len(cookies),
                "rate_per_s": options.rate,
                "duration_s": options.duration,
            },  # fmt: skip
            "target": {"p95_ms": TARGET_P95_MS, "passed": passed},
            "results": {
                "connected": opened["connected"],
                "connect_seconds": round(opened["connect_seconds"], 2),
                "open_at_end": closing["open_at_end"],
                "failures": closing["failures"],
                "enqueued": len(sent),
                "offered": len(offered),
                "received": len(latencies),
                "lost": len(lost),
                "other_events": closing["other_events"],
                "latency": timings,
                "latency_commit_route_publish": in_driver,
                "latency_published_to_socket": on_the_way,
                "server_cpu_seconds": round(cpu_server, 1),
            },
        },
        options.output,
    )
    return common.fail_exit(passed)


if __name__ == "__main__":
    sys.exit(main())
