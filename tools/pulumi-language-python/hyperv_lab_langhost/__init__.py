"""Our own `pulumi-language-python`: the LanguageRuntime gRPC service the Pulumi CLI talks to.

Pulumi's Go language host module is not served by the module proxy reachable here, so this small
Python implementation stands in for it. It does what `pulumi preview/up/refresh/destroy` need
from a language host: hand shake, report plugin info, and run the program through the SDK's
`pulumi-language-python-exec` script with the same command line the Go host builds.
"""
