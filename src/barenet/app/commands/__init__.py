"""One module per command group; each exposes `register(subparsers)`.

Modules import only the standard library at the top; NumPy and the rest load inside the
command function, which keeps `barenet --help` fast.
"""

from types import ModuleType

from barenet.app.commands import calibrate, data, export, plot, predict, serve, sweep, train

COMMAND_MODULES: list[ModuleType] = [data, train, plot, predict, serve, sweep, export, calibrate]
