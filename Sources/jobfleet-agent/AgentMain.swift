import Agent
#if canImport(Glibc)
import Glibc
#endif

/// Entry point. An async `main` makes Swift pick ArgumentParser's async `main()`; top-level
/// code would pick the synchronous one, which cannot run the async `serve`.
@main
enum AgentMain {
    static func main() async {
        NameServices.useBuiltInModulesOnly()
        if let status = RPCFastPath.run(Array(CommandLine.arguments.dropFirst())) {
            exit(status)
        }
        await AgentCommand.main()
    }
}
