import ArgumentParser
import Foundation

// Usage errors exit 2 (the documented code for bad configuration or usage), not ArgumentParser's 64.
Console.useJSON(ifAskedIn: Array(CommandLine.arguments.dropFirst()))
do {
    var command = try DataflowCommand.parseAsRoot()
    try command.run()
} catch let code as ExitCode {
    exit(code.rawValue)
} catch {
    let exitCode = DataflowCommand.exitCode(for: error)
    let message = DataflowCommand.fullMessage(for: error)
    if exitCode == .success {
        if !message.isEmpty { print(message) }
        exit(0)
    }
    let code = exitCode == .validationFailure || exitCode.rawValue == 64 ? ExitCodes.badConfig : exitCode.rawValue
    if Console.usesJSON {
        Console.usageError(DataflowCommand.message(for: error), exitCode: code)
    } else {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
    exit(code)
}
