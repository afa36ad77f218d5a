import Agent

/// Entry point. An async `main` makes Swift pick ArgumentParser's async `main()`; top-level
/// code would pick the synchronous one, which cannot run the async `serve`.
@main
enum AgentMain {
    static func main() async {
        await AgentCommand.main()
    }
}
