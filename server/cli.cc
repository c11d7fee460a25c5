#include "server/cli.h"

#include <cstdlib>

#include "base/strings.h"
#include "config/byte_size.h"
#include "config/cluster_layout.h"

namespace atl::server {

const char* UsageText() {
  return R"(usage:
  atoll serve SCRIPT.js [--listen HOST:PORT]...    serve one tenant "default" on every route
        [--max-request-body SIZE]                  default 10MB (413 body_too_large past it)
        [--header-timeout-ms N] [--body-timeout-ms N] [--idle-timeout-ms N] [--data-dir DIR]
        [--max-connections N]                      per worker (default: the open-file limit - 256)
  atoll serve --config atoll.toml                  the tenants, routes and limits of a config file
        [--listen HOST:PORT]... [--data-dir DIR]   (override the file's) and the timeouts above
  both: [--workers N|auto]                         worker processes (default: 1 for a script,
                                                   the config's server.workers, "auto" = a core each)
        [--admin-listen HOST:PORT]                 the admin API (token from $ATOLL_ADMIN_TOKEN)
        [--no-access-log]                          no "access" log line per request
  atoll serve --wrangler wrangler.toml             a Workers project (wrangler.toml/.json/.jsonc);
        [--wrangler other/wrangler.toml]...        one tenant per file (service bindings between them)
        [--env NAME]                               each file's [env.NAME] (wrangler's --env)
        [--test-scheduled]                         GET /__scheduled?cron=... runs scheduled() (wrangler's)
  cluster mode: [--cluster http://ETCD:2379]        a node of a fleet: tenants from etcd (then SCRIPT.js
        [--node-name N] [--advertise HOST:PORT]    and --config are optional); needs --admin-listen
  atoll control --cluster http://ETCD:2379        the placement controller (several may run; one leads)
        [--name NAME] [--replicas K]               default control-PID, 2 replicas per tenant
        [--lease-ttl-s S] [--interval-s S]         leader lease (3 s); re-place from load every S (10 s)
        [--prefix /atoll/] [--headroom F]          as the nodes' [cluster] prefix; node share kept free (0.2)
        [--rate-per-core R]                        requests/s one core of a node serves (1000)
  atoll check --config atoll.toml                  validate the config and compile every script;
                                                   exit 1 with file:line or the key path on error
        [--keep-going]                             report each tenant that does not load and go
                                                   on; exit 1 only for the config itself
  atoll version                                    versions of atoll, V8, libuv, llhttp, OpenSSL
  atoll help
)";
}

namespace {

absl::StatusOr<CommandLine> ParseControl(const std::vector<std::string>& args) {
  CommandLine out;
  out.command = CommandLine::Command::kControl;
  ControlOptions& control = out.control;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (i + 1 >= args.size()) return absl::InvalidArgumentError(base::StrCat(arg, " needs a value"));
    const std::string& text = args[++i];
    uint32_t number = 0;
    if (arg == "--cluster") {
      control.etcd = text;
    } else if (arg == "--name") {
      if (!config::ValidClusterName(text)) return absl::InvalidArgumentError("--name: expected [a-z0-9-]{1,63}");
      control.name = text;
    } else if (arg == "--prefix") {
      if (text.empty() || text.back() != '/') return absl::InvalidArgumentError("--prefix: expected a path ending in /");
      control.prefix = text;
    } else if (arg == "--replicas" || arg == "--lease-ttl-s" || arg == "--interval-s") {
      if (!base::ParseUnsigned(text, &number) || number == 0 || number > 3600) {
        return absl::InvalidArgumentError(base::StrCat(arg, ": expected a number from 1 to 3600"));
      }
      if (arg == "--replicas") control.replicas = static_cast<int>(number);
      else if (arg == "--lease-ttl-s") control.lease_ttl_s = number;
      else control.interval_ms = number * 1000;
    } else if (arg == "--headroom" || arg == "--rate-per-core") {
      char* end = nullptr;
      double value = std::strtod(text.c_str(), &end);
      bool parsed = end != text.c_str() && *end == '\0';
      if (arg == "--headroom") {
        if (!parsed || !(value >= 0 && value < 1)) return absl::InvalidArgumentError("--headroom: expected a fraction in [0, 1)");
        control.headroom = value;
      } else {
        if (!parsed || !(value > 0 && value <= 1e9)) return absl::InvalidArgumentError("--rate-per-core: expected a positive number");
        control.rate_per_core = value;
      }
    } else {
      return absl::InvalidArgumentError(base::StrCat("control: unknown option ", arg));
    }
  }
  if (control.etcd.empty()) return absl::InvalidArgumentError("control: --cluster http://ETCD:2379 is required");
  return out;
}

}  // namespace

absl::StatusOr<CommandLine> ParseCommandLine(const std::vector<std::string>& args) {
  CommandLine out;
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") return out;
  if (args[0] == "version" || args[0] == "--version") {
    out.command = CommandLine::Command::kVersion;
    return out;
  }
  if (args[0] == "control") return ParseControl(args);
  if (args[0] == "serve") {
    out.command = CommandLine::Command::kServe;
  } else if (args[0] == "check") {
    out.command = CommandLine::Command::kCheck;
  } else {
    return absl::InvalidArgumentError(base::StrCat("unknown command \"", args[0], "\""));
  }
  ServeOptions& serve = out.serve;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&]() -> absl::StatusOr<std::string> {
      if (i + 1 >= args.size()) return absl::InvalidArgumentError(base::StrCat(arg, " needs a value"));
      return args[++i];
    };
    auto millis = [&](uint32_t* field) -> absl::Status {
      absl::StatusOr<std::string> text = value();
      if (!text.ok()) return text.status();
      if (!base::ParseUnsigned(*text, field) || *field == 0) {
        return absl::InvalidArgumentError(base::StrCat(arg, ": expected a positive number of milliseconds"));
      }
      return absl::OkStatus();
    };
    absl::Status status;
    if (arg == "--listen") {
      absl::StatusOr<std::string> text = value();
      if (!text.ok()) return text.status();
      absl::StatusOr<config::ListenAddress> address = config::ParseListenAddress(*text);
      if (!address.ok()) return address.status();
      serve.listen.push_back(*address);
    } else if (arg == "--max-request-body") {
      absl::StatusOr<std::string> text = value();
      if (!text.ok()) return text.status();
      absl::StatusOr<uint64_t> size = config::ParseByteSize(*text);
      if (!size.ok()) return size.status();
      serve.tenant_limits.max_request_body = *size;
    } else if (arg == "--header-timeout-ms") {
      status = millis(&serve.connection_limits.header_timeout_ms);
    } else if (arg == "--body-timeout-ms") {
      status = millis(&serve.connection_limits.body_timeout_ms);
    } else if (arg == "--idle-timeout-ms") {
      status = millis(&serve.connection_limits.idle_timeout_ms);
    } else if (arg == "--max-connections") {
      absl::StatusOr<std::string> text = value();
      if (!text.ok()) return text.status();
      if (!base::ParseUnsigned(*text, &serve.connection_limits.max_connections) ||
          serve.connection_limits.max_connections == 0) {
        return absl::InvalidArgumentError("--max-connections: expected a positive number");
      }
    } else if (arg == "--config") {
      absl::StatusOr<std::string> text = value();
      if (!text.ok()) return text.status();
      serve.config_path = *text;
    } else if (arg == "--wrangler") {
      absl::StatusOr<std::string> text = value();
      if (!text.ok()) return text.status();
      serve.wrangler_paths.push_back(*text);
    } else if (arg == "--env" || arg == "-e") {
      absl::StatusOr<std::string> text = value();
      if (!text.ok()) return text.status();
      if (text->empty()) return absl::InvalidArgumentError(base::StrCat(arg, ": empty value"));
      serve.wrangler_env = *text;
    } else if (arg == "--test-scheduled") {
      serve.test_scheduled = true;
    } else if (arg == "--data-dir") {
      absl::StatusOr<std::string> text = value();
      if (!text.ok()) return text.status();
      serve.data_dir = *text;
    } else if (arg == "--admin-listen") {
      absl::StatusOr<std::string> text = value();
      if (!text.ok()) return text.status();
      absl::StatusOr<config::ListenAddress> address = config::ParseListenAddress(*text);
      if (!address.ok()) return address.status();
      serve.admin_listen = *address;
    } else if (arg == "--cluster" || arg == "--node-name" || arg == "--advertise") {
      absl::StatusOr<std::string> text = value();
      if (!text.ok()) return text.status();
      if (text->empty()) return absl::InvalidArgumentError(base::StrCat(arg, ": empty value"));
      (arg == "--cluster" ? serve.cluster_etcd : arg == "--node-name" ? serve.node_name : serve.advertise) = *text;
    } else if (arg == "--no-access-log") {
      serve.access_log = false;
    } else if (arg == "--keep-going" && out.command == CommandLine::Command::kCheck) {
      serve.keep_going = true;
    } else if (arg == "--workers") {
      absl::StatusOr<std::string> text = value();
      if (!text.ok()) return text.status();
      uint32_t workers = 0;
      if (*text != "auto" && (!base::ParseUnsigned(*text, &workers) || workers == 0 || workers > 1024)) {
        return absl::InvalidArgumentError("--workers: expected a number from 1 to 1024, or auto");
      }
      serve.workers = workers;
    } else if (!arg.empty() && arg[0] == '-') {
      return absl::InvalidArgumentError(base::StrCat("unknown option ", arg));
    } else if (serve.script_path.empty()) {
      serve.script_path = arg;
    } else {
      return absl::InvalidArgumentError(base::StrCat("unexpected argument \"", arg, "\""));
    }
    if (!status.ok()) return status;
  }
  if (!serve.config_path.empty() && !serve.wrangler_paths.empty()) {
    return absl::InvalidArgumentError("give either --config FILE or --wrangler FILE..., not both");
  }
  if (!serve.wrangler_env.empty() && serve.wrangler_paths.empty()) {
    return absl::InvalidArgumentError("--env selects an environment of --wrangler files: give --wrangler FILE");
  }
  if (out.command == CommandLine::Command::kCheck) {
    if (!serve.from_files() || !serve.script_path.empty()) {
      return absl::InvalidArgumentError("check: usage is atoll check --config FILE (or --wrangler FILE...)");
    }
    return out;
  }
  if (!serve.cluster_etcd.empty() && !serve.from_files() && serve.script_path.empty()) return out;  // tenants from etcd
  if (serve.script_path.empty() == !serve.from_files()) {
    return absl::InvalidArgumentError("serve: give either SCRIPT.js, --config FILE or --wrangler FILE...");
  }
  return out;
}

}  // namespace atl::server
