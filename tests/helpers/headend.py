"""A head-end for tests that holds its HAN orders until the test lets the simulator answer (so a browser test
can watch a status change live)."""

from __future__ import annotations

from usage.headend.han import JoinOrder, MessageOrder, RemoveOrder
from usage.headend.simulator import SimulatedHeadEnd

HELD: list[object] = []


class HeldHeadEnd(SimulatedHeadEnd):
    name = "simulator"

    def open_join_window(self, order: JoinOrder) -> None:
        HELD.append(order)

    def remove_device(self, order: RemoveOrder) -> None:
        HELD.append(order)

    def send_message(self, order: MessageOrder) -> None:
        HELD.append(order)
