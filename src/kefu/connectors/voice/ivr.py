"""The voice menu in front of the queues (IVR 菜单): a small data tree, walked one key at a time.

The menu is data, not code: each `Menu` says what it announces and where each key leads — to
another menu or to a queue (by the queue codes the operator configured; the demo seeds VOICE
and BB). `IvrWalk` is the walk of one call: it knows nothing of SIP or ARI, so every gateway
and the tests drive the same menu.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PATH_SEPARATOR = ">"


@dataclass(frozen=True)
class QueueTarget:
    """A leaf of the menu: the call enters `queue_code`."""

    queue_code: str
    label: str


@dataclass(frozen=True)
class Menu:
    """One level of the menu: the prompt read to the caller and where each key leads."""

    prompt: str
    options: dict[str, Menu | QueueTarget] = field(default_factory=dict)


# 1 话费 → the hotline; 2 故障 → 1 宽带 / 2 电视 → the broadband & TV desk, 3 手机 → the hotline;
# 0 人工 everywhere. Queue codes are those of the demo operator (kefu.demo.contact_center).
HOTLINE = QueueTarget("VOICE", "人工服务")
BROADBAND_TV = QueueTarget("BB", "宽带电视专席")
MAIN_MENU = Menu(
    prompt="您好，欢迎致电客服热线。话费查询请按1，故障报修请按2，人工服务请按0。",
    options={
        "1": QueueTarget("VOICE", "话费查询"),
        "2": Menu(
            prompt="宽带故障请按1，电视故障请按2，手机故障请按3，返回上级请按星号。",
            options={"1": BROADBAND_TV, "2": BROADBAND_TV, "3": QueueTarget("VOICE", "手机故障"), "0": HOTLINE},
        ),
        "0": HOTLINE,
    },
)
BACK_KEY = "*"
INVALID_PROMPT = "输入有误，请重新选择。"
TOO_MANY_TRIES = 3  # wrong keys or silences before the call goes to a person anyway


@dataclass
class IvrWalk:
    """Where one call is in the menu, and the keys that brought it there ("2>1")."""

    menu: Menu = MAIN_MENU
    fallback: QueueTarget = HOTLINE
    keys: list[str] = field(default_factory=list)
    _stack: list[Menu] = field(default_factory=list)
    _misses: int = 0

    @property
    def current(self) -> Menu:
        return self._stack[-1] if self._stack else self.menu

    @property
    def path(self) -> str:
        return PATH_SEPARATOR.join(self.keys)

    def press(self, key: str) -> Menu | QueueTarget | None:
        """The caller pressed `key`: the next menu, the queue reached, or None (a wrong key)."""
        if key == BACK_KEY and self._stack:
            self._stack.pop()
            self.keys.pop()
            return self.current
        target = self.current.options.get(key)
        if target is None:
            return self.miss()
        self.keys.append(key)
        self._misses = 0
        if isinstance(target, Menu):
            self._stack.append(target)
        return target

    def miss(self) -> QueueTarget | None:
        """A wrong key or no key in time; after a few the caller goes to a person."""
        self._misses += 1
        return self.fallback if self._misses >= TOO_MANY_TRIES else None
