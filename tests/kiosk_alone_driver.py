"""One kiosk as a process of its own, for the outage tests (issue 26): its view-model and its lease
keeper (a worker), a visitor every `--every` seconds (and one in each `--every-wall` seconds of the wall
clock, which a test may move faster), one JSON line per ticket on `--out` and one each time the keeper finds the hub
gone or back.

    python -P tests/kiosk_alone_driver.py --hub URL --token T --journal PATH --out PATH --services PN1,IN1

SIGTERM stops it as `navbat kiosk` stops: the keeper sends what is left and gives its leases back.
A kill -9 leaves the journal as a power cut would. Not a test module: the tests start it.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time

from navbat.foundation.hub_client import HubClient
from navbat.kiosk.journal import Journal
from navbat.kiosk.leases import LeaseKeeper
from navbat.kiosk.viewmodel import KioskModel


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--hub", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--journal", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--name", default="kiosk")
    p.add_argument("--services", required=True)
    p.add_argument("--every", type=float, default=0.25)
    p.add_argument("--every-wall", type=float, default=0.0,
                   help="and one in each slot this long of the wall clock (a test's simulated clock, moved by it)")
    args = p.parse_args()
    services = args.services.split(",")
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))

    model = KioskModel(HubClient(args.hub, args.token, timeout=(1.0, 3.0)), journal=Journal(args.journal))
    while model.branch is None and not stopping:  # a first start needs the hub once; a restart has the journal
        model.refresh()
        time.sleep(0.2)
    model.refresh()
    keeper = LeaseKeeper(model.hub, model.journal, lambda: services, model.branch_day, every=0.5, probe_every=0.3)
    keeper.worker.start()
    out = open(args.out, "a", encoding="utf-8")  # noqa: SIM115 - open for the process' life
    print(json.dumps({"event": "started", "kiosk": args.name, "t": time.time()}), file=out, flush=True)
    told: list[bool | None] = [None]

    def tell_hub() -> None:  # what the keeper knows of the hub, each time it changes
        if keeper.reachable != told[0]:
            told[0] = keeper.reachable
            print(json.dumps({"event": "hub", "kiosk": args.name, "reachable": told[0], "t": time.time()}),
                  file=out, flush=True)

    def slot_of(wall: float) -> float:  # one visitor in each `--every-wall` seconds of the wall clock
        return wall // args.every_wall if args.every_wall else wall

    i = 0
    while not stopping:
        visit_real, slot = time.monotonic(), slot_of(time.time())
        if keeper.reachable is not None:
            model.hub_state(keeper.reachable)
        tell_hub()
        service = services[i % len(services)]
        i += 1
        started = time.perf_counter()
        model.home()
        model.open_unit(next(s["unit"] for s in model.services if s["code"] == service))
        model.open_service(service)
        ticket = model.take_ticket()
        took = time.perf_counter() - started
        if ticket is None:
            line = {"event": "problem", "kiosk": args.name, "service": service,
                    "code": model.problem.code if model.problem else None, "t": time.time()}
        else:
            line = {"event": "ticket", "kiosk": args.name, "service": service, "number": ticket["number"],
                    "offline": bool(ticket.get("offline")), "tracking_code": ticket.get("tracking_code"),
                    "key": ticket.get("idempotency_key"), "id": ticket.get("id"), "seconds": round(took, 4),
                    "t": time.time()}
        print(json.dumps(line), file=out, flush=True)
        while not stopping and (time.monotonic() < visit_real + args.every or slot_of(time.time()) == slot):
            tell_hub()
            time.sleep(0.02)
    keeper.worker.stop()
    keeper.worker.join(15)
    print(json.dumps({"event": "stopped", "kiosk": args.name, "t": time.time()}), file=out, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
