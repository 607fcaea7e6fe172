/* SPDX-License-Identifier: MIT */
/* directpath: the host administrator's tool. Options, dispatch, help; uses only the public API. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <getopt.h>
#include <syslog.h>

#include "cli.h"

/* The options by getopt code - LOPT_BASE - 1. */
const struct cmd_option cmd_options[N_CMD_OPTIONS] = {
#define X(id, name, arg, global) { OPT_##id, name, arg, global },
	CLI_OPTIONS(X)
#undef X
};

/* The library's messages, in the tool's voice; errors carry the reason. */
static void cli_log(struct dp_ctx *ctx, int priority, const char *file,
		    int line, const char *fn, const char *format, va_list args,
		    void *userdata) DP_PRINTF(6, 0);
static void cli_log(struct dp_ctx *ctx, int priority, const char *file,
		    int line, const char *fn, const char *format, va_list args,
		    void *userdata)
{
	struct cli *cli = userdata;

	(void)ctx;
	(void)file;
	(void)line;
	if (priority < LOG_EMERG || priority > LOG_DEBUG)
		priority = LOG_DEBUG;
	if (priority <= LOG_ERR)
		cli->lib_errors++;
	fputs("directpath: ", stderr);
	if (priority > LOG_ERR)
		fprintf(stderr, "%s: ", dp_log_priority_name(priority));
	if (priority == LOG_DEBUG)
		fprintf(stderr, "%s: ", fn);
	put_quoted(format, args);
	fputc('\n', stderr);
}

/* The value of an option that takes one, or NULL when it was not given. */
const char *opt_value(const struct cli *cli, unsigned opt)
{
	for (size_t i = 0; i < N_CMD_OPTIONS; i++)
		if (cmd_options[i].opt == opt)
			return cli->values[i];
	return NULL;
}

int usage_error(const char *cmd, const char *format, ...)
{
	va_list args;

	fprintf(stderr, "directpath: %s: ", cmd);
	va_start(args, format);
	put_quoted(format, args);
	va_end(args);
	fprintf(stderr, "\nTry \"directpath %s --help\".\n", cmd);
	return EXIT_USAGE;
}

/* Whether the library logged an error since errors_before: then it said why. */
bool lib_said(const struct cli *cli, unsigned errors_before)
{
	return cli->lib_errors != errors_before;
}

static const struct command commands[] = {
	{ "host", "[--json]", "show the host's passthrough capabilities",
	  "Shows the IOMMU and its kind, the IOMMU group count, interrupt\n"
	  "remapping, whether vfio allows unsafe interrupts, vfio and vfio-pci,\n"
	  "/dev/kvm, and this process's RLIMIT_MEMLOCK.\n"
	  "\n"
	  "  --json                      print one JSON object\n",
	  OPT_JSON, 0, cmd_host },
	{ "list", "[--json]", "list the host's PCI functions",
	  "Lists every PCI function: address, vendor:device, class, driver,\n"
	  "IOMMU group, passthrough mark and an eligibility hint (eligible,\n"
	  "bridge, boot-vga, config-unreadable, no-iommu, no-group, shared-group),\n"
	  "then the names.\n"
	  "\n"
	  "  --json                      print a JSON array, one object per function\n",
	  OPT_JSON, 0, cmd_list },
	{ "show", "[--json] [--policy FILE] BDF", "show everything known of one PCI function",
	  "Shows every fact the library has of the function at BDF\n"
	  "(DDDD:BB:DD.F or BB:DD.F): IDs, class, flags, driver and override,\n"
	  "mark, IOMMU group members with their drivers, NUMA node, reset\n"
	  "methods, BARs, ROM, MSI, MSI-X and SR-IOV; then what the policy\n"
	  "says of it alone, every finding whose subject it is.\n"
	  "\n"
	  "  --json                      print one JSON object\n"
	  "  --policy FILE               apply the rules of this policy file\n",
	  OPT_JSON | OPT_POLICY, 1, cmd_show },
	{ "mark", "[--now] [--force] [--driver NAME [--policy FILE]] BDF", "mark a PCI function for passthrough",
	  "Marks the function at BDF available for passthrough: writes\n"
	  "pci-BDF holding \"vfio-pci\" in the driverctl directory, which\n"
	  "binds it to vfio-pci at boot. Prints the other members of its IOMMU\n"
	  "group, which must follow it to any VM.\n"
	  "\n"
	  "  --now                       bind it to vfio-pci now as well; if the\n"
	  "                              binding does not take, everything is\n"
	  "                              restored and the exit status is 1\n"
	  "  --force                     allow bridges and the boot VGA device\n"
	  "  --driver NAME               mark it for this VFIO driver instead of\n"
	  "                              vfio-pci (a variant such as mlx5_vfio_pci,\n"
	  "                              or a vendor driver that registered it with\n"
	  "                              VFIO); the policy's vfio_drivers must list it\n"
	  "  --policy FILE               the policy whose vfio_drivers counts\n",
	  OPT_NOW | OPT_FORCE | OPT_DRIVER | OPT_POLICY, 1, cmd_mark },
	{ "unmark", "[--now] BDF", "remove a PCI function's passthrough mark",
	  "Removes the driverctl file that marks the function at BDF.\n"
	  "\n"
	  "  --now                       also give it back to a host driver now\n",
	  OPT_NOW, 1, cmd_unmark },
	{ "release", "[--force] [--json] BDF", "reset a quarantined PCI function and give it back",
	  "Releases the quarantined function at BDF (one that a detach left held\n"
	  "on vfio-pci; see list and show): resets it through VFIO, verifies that\n"
	  "it came back as it was before the library first reset it, removes its\n"
	  "record from the run directory, and, unless it is marked for\n"
	  "passthrough, gives it back to the host (driver_override cleared,\n"
	  "unbound from vfio-pci, drivers probed). A marked one stays on vfio-pci:\n"
	  "unmark --now gives it back. Exit status: 0 released, 1 refused (not\n"
	  "quarantined, leased by a running VM, or it did not come back and stays\n"
	  "quarantined), 2 usage or I/O error.\n"
	  "\n"
	  "  --force                     verify it against its state now instead of\n"
	  "                              the header its record holds\n"
	  "  --json                      print one JSON object\n",
	  OPT_FORCE | OPT_JSON, 1, cmd_release },
	{ "handoff", "--socket PATH [--backend auto|type1|iommufd] [--add BDF] [--json] VMFILE",
	  "open a VM's devices and send them to its VMM",
	  "For a VMM that may not open /dev/vfio or /dev/iommu itself: checks the\n"
	  "VM of VMFILE (directpath-vm(5)) against the policy as dp_attach does,\n"
	  "leases its devices, applies the policy's reset order, opens the VFIO\n"
	  "container and groups (type1) or /dev/iommu and the devices' nodes\n"
	  "(iommufd), connects to the Unix socket PATH the VMM listens on, and\n"
	  "sends every fd and the leases in one message (dp_handoff_send(3)). It\n"
	  "prints what it sent and exits: the fds, and the leases, live on in the\n"
	  "VMM. Exit status: 0 sent, 1 denied by the policy, 2 usage or I/O error.\n"
	  "With --add, VMFILE's devices are the VM's attached ones and only BDF is\n"
	  "handed over, checked with them as a hot add is (dp_handoff_open_device(3)),\n"
	  "for the VMM's dp_attachment_add_handoff(3).\n"
	  "\n"
	  "  --socket PATH               the VMM's listening Unix socket\n"
	  "  --add BDF                   hand over this one more device for the\n"
	  "                              attached VM (an addition)\n"
	  "  --backend NAME              auto (the default: iommufd where /dev/iommu\n"
	  "                              exists and every device has a VFIO device\n"
	  "                              node), type1 or iommufd\n"
	  "  --policy FILE               apply the rules of this policy file\n"
	  "  --json                      print what was sent as one JSON object\n",
	  OPT_SOCKET | OPT_BACKEND | OPT_ADD | OPT_POLICY | OPT_JSON, 1, cmd_handoff },
	{ "check",
	  "--vm FILE [--policy FILE] [--json]\n"
	  "   or: directpath [OPTIONS] check [--devices BDF[,BDF...]]\n"
	  "       --hw-version N --memory SIZE [--reservation SIZE] [--name NAME]\n"
	  "       [--features LIST] [--policy FILE] [--json]",
	  "check a VM against the passthrough policy",
	  "Checks a VM's passthrough devices against the policy, this host's\n"
	  "capabilities and its PCI functions, and prints the verdict, every\n"
	  "finding (severity, code, message) and the features the VM loses, with\n"
	  "the devices that cost each. The VM comes from a file (directpath-vm(5))\n"
	  "or from the options. The policy is the built-in defaults, then --policy\n"
	  "FILE, or else CONFIG_DIR/policy.conf when it exists.\n"
	  "Exit status: 0 allowed, 1 denied, 2 usage or I/O error.\n"
	  "\n"
	  "  --vm FILE                   the VM, from a VM file\n"
	  "  --devices BDF[,BDF...]      its passthrough devices (none if left out);\n"
	  "                              for any free one of a kind, a BDF may be\n"
	  "                              VENDOR:DEVICE[:SUBVENDOR:SUBDEVICE] or\n"
	  "                              label:NAME (directpath-vm(5))\n"
	  "  --hw-version N              its virtual hardware version\n"
	  "  --memory SIZE               its memory: bytes, or with K, M, G or T\n"
	  "  --reservation SIZE          its memory reservation (default: all of it)\n"
	  "  --name NAME                 its name in the report (default: cli)\n"
	  "  --features LIST             features it has enabled, separated by commas\n"
	  "                              (see directpath features)\n"
	  "  --policy FILE               apply the rules of this policy file\n"
	  "  --json                      print the report as JSON (directpath-report(5))\n",
	  OPT_VM | OPT_VM_SPEC | OPT_POLICY | OPT_JSON, 0, cmd_check },
	{ "features", "[--json]", "list the VM features passthrough costs",
	  "Lists every VM feature the library knows, what it is, and why a VM\n"
	  "loses it while a plain passthrough device is assigned to it.\n"
	  "\n"
	  "  --json                      print a JSON array, one object per feature\n",
	  OPT_JSON, 0, cmd_features },
	{ "policy", "[--policy FILE] [--compat] [--json]",
	  "show the policy in force",
	  "Prints the policy in force as a policy file that sets every rule\n"
	  "(directpath-policy(5)): the built-in defaults, then --policy FILE, or\n"
	  "else CONFIG_DIR/policy.conf when it exists. Comments say where it came\n"
	  "from and how many compatibility list entries DATA_DIR/compat.d holds.\n"
	  "\n"
	  "  --policy FILE               apply the rules of this policy file\n"
	  "  --compat                    list the compatibility list entries instead:\n"
	  "                              level, IDs, file and name\n"
	  "  --json                      print JSON: the rules and the entries\n",
	  OPT_POLICY | OPT_COMPAT | OPT_JSON, 0, cmd_policy },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct {
	const char *names;
	const char *text;
} global_options[] = {
	{ "-h, --help", "show this help, or a command's after its name" },
	{ "-V, --version", "show the tool's and the library's versions" },
	{ "-v, --verbose", "also show the library's info messages; twice: debug" },
	{ "    --driverctl-dir DIR", "keep passthrough marks in DIR (/etc/driverctl.d)" },
	{ "    --config-dir DIR", "the library's configuration directory" },
	{ "    --run-dir DIR", "the library's run directory" },
	{ "    --data-dir DIR", "the library's data directory (compat.d)" },
};

#define HELP_COLUMN "  %-27s %s\n"

static void global_options_usage(FILE *out, const char *title)
{
	fprintf(out, "%s:\n", title);
	for (size_t i = 0; i < sizeof(global_options) / sizeof(global_options[0]); i++)
		fprintf(out, HELP_COLUMN, global_options[i].names,
			global_options[i].text);
}

static void usage(FILE *out)
{
	char synopsis[64];
	const char *nl;

	fprintf(out,
		"Usage: directpath [OPTIONS] COMMAND [ARGS]\n"
		"\n"
		"Administer PCI passthrough (VMDirectPath-style) on this host.\n"
		"\n");
	global_options_usage(out, "Options");
	fprintf(out, "\nCommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++) {
		/* A synopsis too long for the column: its name, and the summary. */
		nl = strchr(commands[i].args, '\n');
		if (nl || strlen(commands[i].name) + 1 + strlen(commands[i].args) > 27)
			snprintf(synopsis, sizeof(synopsis), "%s [OPTIONS]",
				 commands[i].name);
		else
			snprintf(synopsis, sizeof(synopsis), "%s %s",
				 commands[i].name, commands[i].args);
		fprintf(out, HELP_COLUMN, synopsis, commands[i].summary);
	}
	fprintf(out, HELP_COLUMN, "help [COMMAND]", "show this help or a command's");
	fprintf(out, HELP_COLUMN, "version", "same as --version");
	fprintf(out,
		"\n"
		"Options may come before or after the command. BDF is a PCI address,\n"
		"DDDD:BB:DD.F or BB:DD.F, as lspci prints it.\n"
		"Exit status: 0 success (check: allowed), 1 the request was denied\n"
		"(check: the VM is denied), 2 usage or I/O error.\n"
		"See directpath(8).\n");
}

static void command_usage(const struct command *cmd, FILE *out)
{
	fprintf(out, "Usage: directpath [OPTIONS] %s %s\n\n%s\n", cmd->name,
		cmd->args, cmd->help);
	global_options_usage(out, "Global options");
}

void usage_hint(void)
{
	fprintf(stderr, "Usage: directpath [OPTIONS] COMMAND [ARGS]\n"
			"Try \"directpath --help\".\n");
}

static int print_version(void)
{
	printf("directpath %d.%d.%d (libdirectpath %s)\n", DP_VERSION_MAJOR,
	       DP_VERSION_MINOR, DP_VERSION_MICRO, dp_version());
	return EXIT_OK;
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int run(struct cli *cli, const struct command *cmd, const char *arg)
{
	/* Warnings and errors, unless DIRECTPATH_LOG says otherwise; -v wins. */
	DP_OPTS(dp_ctx_opts, opts, .log_fn = cli_log, .log_userdata = cli,
		.config_dir = opt_value(cli, OPT_CONFIG_DIR),
		.run_dir = opt_value(cli, OPT_RUN_DIR),
		.data_dir = opt_value(cli, OPT_DATA_DIR),
		.driverctl_dir = opt_value(cli, OPT_DRIVERCTL_DIR),
		.log_priority = LOG_WARNING);
	int r;

	r = dp_ctx_new(&opts, &cli->ctx);
	if (r < 0) {
		if (!cli->lib_errors) /* else the library said why */
			err_msg("cannot start libdirectpath: %s", strerror(-r));
		return EXIT_USAGE;
	}
	if (cli->verbose) {
		r = dp_ctx_set_log_priority(cli->ctx, cli->verbose > 1 ? LOG_DEBUG : LOG_INFO);
		if (r < 0) {
			err_msg("cannot set the log priority: %s", strerror(-r));
			cli->ctx = dp_ctx_unref(cli->ctx);
			return EXIT_USAGE;
		}
	}
	r = cmd->run(cli, arg);
	cli->ctx = dp_ctx_unref(cli->ctx);
	return r;
}

/* An option from getopt_long; a command's is given at most once. */
static int command_option(struct cli *cli, int c, const char *value)
{
	size_t i = (size_t)(c - LOPT_BASE - 1);

	if (c <= LOPT_BASE || c >= LOPT_END) {
		usage_hint();
		return EXIT_USAGE;
	}
	if (cmd_options[i].has_arg && !cmd_options[i].global && cli->values[i]) {
		err_msg("--%s given twice", cmd_options[i].name);
		usage_hint();
		return EXIT_USAGE;
	}
	cli->opts |= cmd_options[i].opt;
	if (cmd_options[i].has_arg)
		cli->values[i] = value;
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "verbose", no_argument, NULL, 'v' },
#define X(id, name, arg, global) \
		{ name, arg ? required_argument : no_argument, NULL, LOPT_##id },
		CLI_OPTIONS(X)
#undef X
		{ NULL, 0, NULL, 0 },
	};
	struct cli cli = { 0 };
	const struct command *cmd = NULL;
	bool help = false, version = false;
	const char *name;
	int c, nargs, r;

	/* Options may come before or after the command, as in git or ip. */
	while ((c = getopt_long(argc, argv, "hVv", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			help = true;
			break;
		case 'V':
			version = true;
			break;
		case 'v':
			cli.verbose++;
			break;
		default:
			r = command_option(&cli, c, optarg);
			if (r != EXIT_OK)
				return r;
			break;
		}
	}
	name = optind < argc ? argv[optind] : NULL;
	nargs = optind < argc ? argc - optind - 1 : 0;

	if (version)
		return print_version();
	if (name && strcmp(name, "help") == 0) {
		if (nargs == 0) {
			usage(stdout);
			return EXIT_OK;
		}
		cmd = find_command(argv[optind + 1]);
		if (!cmd) {
			err_msg("help: unknown command \"%s\"", argv[optind + 1]);
			usage_hint();
			return EXIT_USAGE;
		}
		if (nargs > 1) {
			err_msg("help: unexpected argument \"%s\"", argv[optind + 2]);
			return EXIT_USAGE;
		}
		command_usage(cmd, stdout);
		return EXIT_OK;
	}
	if (name && strcmp(name, "version") == 0) {
		if (nargs) {
			err_msg("version takes no arguments");
			return EXIT_USAGE;
		}
		return print_version();
	}
	if (name)
		cmd = find_command(name);
	if (help) {
		if (cmd)
			command_usage(cmd, stdout);
		else
			usage(stdout);
		return EXIT_OK;
	}
	if (!name) {
		err_msg("no command given");
		usage_hint();
		return EXIT_USAGE;
	}
	if (!cmd) {
		err_msg("unknown command \"%s\"", name);
		usage_hint();
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < N_CMD_OPTIONS; i++) {
		if ((cli.opts & cmd_options[i].opt) && !cmd_options[i].global &&
		    !(cmd->opts & cmd_options[i].opt)) {
			err_msg("%s: unknown option --%s", cmd->name, cmd_options[i].name);
			fprintf(stderr, "Usage: directpath [OPTIONS] %s %s\n",
				cmd->name, cmd->args);
			return EXIT_USAGE;
		}
	}
	if (nargs != cmd->nargs) {
		if (nargs < cmd->nargs)
			err_msg("%s: %s is needed", cmd->name,
				cmd->run == cmd_handoff ? "a VM file" : "a PCI address (BDF)");
		else
			err_msg("%s: unexpected argument \"%s\"", cmd->name,
				argv[optind + 1 + cmd->nargs]);
		fprintf(stderr, "Usage: directpath [OPTIONS] %s %s\n",
			cmd->name, cmd->args);
		return EXIT_USAGE;
	}

	r = run(&cli, cmd, cmd->nargs ? argv[optind + 1] : NULL);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		err_msg("cannot write the output: %s", strerror(errno));
		return EXIT_USAGE;
	}
	return r;
}
