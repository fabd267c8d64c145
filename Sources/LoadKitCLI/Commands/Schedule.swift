import ArgumentParser
import Foundation
import LoadKit
import LoadKitProject

extension LoadKitCommand {
    /// `loadkit schedule`: the lines that make cron or systemd call `loadkit run --due`.
    struct Schedule: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the cron or systemd lines that call run --due.",
            discussion: """
                loadkit has no daemon: cron or a systemd timer calls `loadkit run --due` \
                every few minutes, and loadkit decides what is due from the schedules and \
                the ledger, so missed, repeated or overlapping ticks are harmless.

                Examples:
                  loadkit schedule print-cron --every 5
                  loadkit schedule print-systemd --every 15
                """,
            subcommands: [PrintCron.self, PrintSystemd.self]
        )

        /// `loadkit`'s own absolute path and the config's, for lines that run from anywhere.
        static func paths(_ global: GlobalOptions) throws -> (loadkit: String, config: String) {
            let project = try global.openProject()
            let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                ?? URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
            return (executable, URL(fileURLWithPath: project.configFile).standardizedFileURL.path)
        }

        /// `loadkit schedule print-cron`: one crontab line.
        struct PrintCron: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "print-cron",
                abstract: "Print a crontab line that calls run --due.",
                usage: """
                    loadkit schedule print-cron [--every <minutes>]
                    [--config <path>] [--json] [--quiet] [--warehouse <path>]
                    """,
                discussion: """
                    Install it with `crontab -e`. Exit 75 from run --due means another call \
                    is still working; cron mails its output, so the line keeps run --due \
                    quiet and sends its output to loadkit-due.log beside the config.

                    Examples:
                      loadkit schedule print-cron --every 5
                    """
            )

            @OptionGroup var global: GlobalOptions

            @Option(name: .long, help: ArgumentHelp("Minutes between calls (1–59).", valueName: "minutes"))
            var every = 5

            func validate() throws {
                guard (1...59).contains(every) else { throw ValidationError("--every must be 1 to 59 minutes") }
            }

            func run() throws {
                do {
                    let (loadkit, config) = try Schedule.paths(global)
                    let log = URL(fileURLWithPath: config).deletingLastPathComponent().appendingPathComponent("loadkit-due.log").path
                    print("# loadkit: load what is due every \(every) minutes (loadkit decides what is due)")
                    print("*/\(every) * * * * \(loadkit) run --due --quiet --config \(config) >> \(log) 2>&1")
                } catch {
                    throw ExitStatus.report(error)
                }
            }
        }

        /// `loadkit schedule print-systemd`: a oneshot service and its timer.
        struct PrintSystemd: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "print-systemd",
                abstract: "Print a systemd service and timer that call run --due.",
                usage: """
                    loadkit schedule print-systemd [--every <minutes>]
                    [--config <path>] [--json] [--quiet] [--warehouse <path>]
                    """,
                discussion: """
                    Save the two units under /etc/systemd/system (or ~/.config/systemd/user), \
                    then `systemctl enable --now loadkit-due.timer`. Persistent=true calls once \
                    after downtime; run --due then catches up by the schedules' catch_up.

                    Examples:
                      loadkit schedule print-systemd --every 15
                    """
            )

            @OptionGroup var global: GlobalOptions

            @Option(name: .long, help: ArgumentHelp("Minutes between calls (1–59).", valueName: "minutes"))
            var every = 5

            func validate() throws {
                guard (1...59).contains(every) else { throw ValidationError("--every must be 1 to 59 minutes") }
            }

            func run() throws {
                do {
                    let (loadkit, config) = try Schedule.paths(global)
                    print("""
                        # loadkit-due.service
                        [Unit]
                        Description=loadkit run --due (\(config))

                        [Service]
                        Type=oneshot
                        ExecStart=\(loadkit) run --due --quiet --config \(config)
                        # 75: another run --due is still working; the next tick carries on.
                        SuccessExitStatus=75

                        # loadkit-due.timer
                        [Unit]
                        Description=Call loadkit run --due every \(every) minutes

                        [Timer]
                        OnCalendar=*:0/\(every)
                        Persistent=true

                        [Install]
                        WantedBy=timers.target
                        """)
                } catch {
                    throw ExitStatus.report(error)
                }
            }
        }
    }
}
