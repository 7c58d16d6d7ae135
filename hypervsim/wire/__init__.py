"""WinRM (WS-Management over HTTP/S) front end of the emulated host.

http (connections, auth, sealing) -> wsman (dispatch by Action) -> shells (WinRS shells) ->
processes (powershell.exe / cmd.exe, running scripts under world.lock). server wires it up.
"""
