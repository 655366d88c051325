"""The kamailio configuration of a small site: a registrar and stateful proxy in front of `kefu voice`.

The SIP user agent registers the service number here; callers' INVITEs to that number are
proxied to it. The tests, the benchmark and a small site's install use the same file.
"""

from __future__ import annotations

from pathlib import Path

MODULES = Path("/usr/lib/x86_64-linux-gnu/kamailio/modules")
LOADED = ("kex", "corex", "tm", "sl", "rr", "pv", "maxfwd", "usrloc", "registrar", "textops", "siputils")


def kamailio_config(host: str, port: int, *, children: int = 4, modules: Path = MODULES) -> str:
    """Registrar + proxy on udp host:port, without authentication (a closed network or a test)."""
    loads = "\n".join(f'loadmodule "{name}.so"' for name in LOADED)
    return f"""#!KAMAILIO
debug=2
log_stderror=yes
children={children}
auto_aliases=no
listen=udp:{host}:{port}
alias="{host}:{port}"
mpath="{modules}/"
{loads}
modparam("usrloc", "db_mode", 0)
request_route {{
    if (!mf_process_maxfwd_header("10")) {{ sl_send_reply("483", "Too Many Hops"); exit; }}
    if (is_method("OPTIONS") && $rU == $null) {{ sl_send_reply("200", "Alive"); exit; }}
    if (has_totag()) {{
        if (loose_route()) {{ t_relay(); exit; }}
        if (is_method("ACK")) {{ if (t_check_trans()) {{ t_relay(); }} exit; }}
        t_relay();
        exit;
    }}
    if (is_method("CANCEL")) {{ if (t_check_trans()) {{ t_relay(); }} exit; }}
    if (is_method("REGISTER")) {{ save("location"); exit; }}
    if (!lookup("location")) {{ sl_send_reply("404", "Not Found"); exit; }}
    t_relay();
}}
"""
