"""``classroom view``: the Step Functions console's execution pages, served on loopback.

One page lists the state machine's executions; one page per execution draws the state machine
(from its ASL definition, as inline SVG) with each state coloured by what happened to it, and
tables its steps (input, output, error, duration, attempts) and raw history events. Everything
is rendered on the server into self-contained HTML: no script, stylesheet or font is fetched.
"""

from devstack.view.command import register
from devstack.view.pages import execution_page, list_page
from devstack.view.server import ViewServer

__all__ = ["ViewServer", "execution_page", "list_page", "register"]
