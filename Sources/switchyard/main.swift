// The composition root: parses the command line and hands over to one command.
#if canImport(Glibc)
import Glibc
#endif

let arguments = Array(CommandLine.arguments.dropFirst())
exit(Switchyard.run(arguments))
