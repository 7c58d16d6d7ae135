"""hypervsim: an emulated Hyper-V host reachable over real WinRM.

Layers (each imports only the ones below it):
  wire        HTTP(S), auth, WS-Management dispatch, shells  -> powershell, world
  powershell  parse, AST, evaluate, cmdlet registry           -> world
  world       hosts, VMs, switches, NAT, IP, features, rules  (imports nothing above)
"""
