/*
 * help.c - the help texts of `edgeview -h [QUERY]` and of `help [QUERY]` in
 * interactive mode.  The per-command usage lines and texts are those of
 * edgeviewd's command tables (edgeview/cmd_net.c, edgeview/cmd_sys.c), so
 * what the client explains is what the device does; keep them in step.
 */
#include <string.h>

#include "client.h"
#include "ev_attr.h"
#include "ev_query.h"

struct help_entry {
	const char *name;
	const char *usage;
	const char *help;
};

static const struct help_entry help_table[] = {
        /* network (edgeview/cmd_net.c) */
        {"if", "if[/<ifname-substring>]",
         "IPv4 and IPv6 addresses of every interface (or those whose name contains the\n"
         "substring) with their flags, the neighbour table and EVE's port configuration."},
        {"route", "route[/<ifname-substring>]",
         "IPv4 policy rules, the routes of every table they use, then the main-table\n"
         "routes of each up interface (or those whose name contains the substring)."},
        {"arp", "arp[/<filter>]",
         "The IPv4 neighbour (ARP) table, lines containing the filter text only."},
        {"socket", "socket",
         "Listening IPv4 TCP and UDP sockets, then established TCP connections, with\n"
         "their owning processes."},
        {"nslookup", "nslookup/<name-or-ip>",
         "Resolve a name with the device's resolver: addresses, canonical name and name\n"
         "servers; for an IP address, its reverse (PTR) name."},
        {"ping", "ping[/<target>] | ping/<ifname>/<target>",
         "One ICMP echo (200 ms to answer) to the target, from the interface's address in\n"
         "the second form.  With no target, each default gateway of the main table."},
        {"trace", "trace[/<target>] [-time <seconds>]",
         "Route to the target with UDP probes: 10 hops, 2 probes a hop, 1 s wait; -time\n"
         "is an overall deadline.  With no target, each default gateway."},
        {"tcpdump", "tcpdump/<ifname>/[<pcap filter>] [-time <seconds>]",
         "Capture on the interface for -time seconds (default 60, at most 120) or 100\n"
         "packets, one summary line per packet, e.g. tcpdump/eth0/udp port 53 -time 10."},
        /* system, pub/ and log/ (edgeview/cmd_sys.c) */
        {"ps", "ps[/<substring>]",
         "Processes whose command line contains the substring: PID, CPU times, VMS and RSS\n"
         "bytes, CPU% over the process lifetime, MEM%, name and command line."},
        {"top", "top [-line N]",
         "A top-like snapshot: load, tasks, CPU use over 0.5 s, memory, then processes by\n"
         "CPU.  -line N prints the first N lines."},
        {"cat", "cat/<path> [-line +-N]",
         "Print a file, e.g. cat//etc/os-release.  -line N: first N lines; -line -N: last N.\n"
         "Output is capped at 8 MiB; key files and EVE's protected directories are refused."},
        {"ls", "ls/<path>",
         "List a file or directory (mode, mtime, size, name), e.g. ls//config; a '*' in the\n"
         "last element is a wildcard: ls//config/device*"},
        {"du", "du/<dir>",
         "Total apparent size of a directory tree (symlinks not followed), e.g. du//persist"},
        {"dmesg", "dmesg [-line N]", "The kernel log; -line N prints the last N lines."},
        {"pub", "pub/<agent>[/<topic-substring>][,...]",
         "EVE pubsub files of an agent, pretty-printed, e.g. pub/zedagent/config or\n"
         "pub/nim,zedrouter.  The topic substring is matched case-insensitively."},
        {"log", "log/<pattern> [-time T] [-json] [-type app|dev] [-line N]",
         "Search the device's logs (/persist/newlog) for a pattern ('.' matches any char).\n"
         "-time 0.2-2.5: from 2.5 to 0.2 hours ago (default 0-0.5), or\n"
         "-time 2021-08-15T22:45:00Z-2021-08-15T23:15:29Z.  -json: whole entries;\n"
         "-type app|dev: app or device logs only; -line N: N lines of context."},
};

void
client_usage(FILE *out)
{
	fprintf(out,
	        "usage: edgeview -token JWT [-inst N] [-user NAME] [-cafile FILE] [QUERY]\n"
	        "                [-time RANGE] [-json] [-type app|dev] [-line N]\n"
	        "       edgeview -h [QUERY]\n"
	        "       edgeview token mint|install ...\n"
	        "\n"
	        "QUERY is one of EVE's Edge-View queries, e.g. if/lo, route, arp, socket,\n"
	        "nslookup/NAME, ping/HOST, trace/HOST, tcpdump/IF/FILTER, ps/NAME, top,\n"
	        "cat//PATH, ls//PATH, du//PATH, dmesg, pub/AGENT[/TOPIC], log/PATTERN;\n"
	        "several network or system items can be joined with commas.\n"
	        "Without a QUERY, edgeview reads queries from a prompt (or from standard\n"
	        "input when it is not a terminal) and runs them over one connection.\n"
	        "\n"
	        "  -token JWT      session token (or EDGEVIEW_TOKEN, -token-file FILE,\n"
	        "                  EDGEVIEW_TOKEN_FILE)\n"
	        "  -inst N         device instance, for multi-instance tokens\n"
	        "  -user NAME      who you are, for the device's audit log\n"
	        "  -key FILE       signing key for tokens that want signed commands (or\n"
	        "                  EDGEVIEW_KEY): aut 1 the controller's key, aut 2 your SSH\n"
	        "                  key; by default EdgeviewSshKeyPath, /clientauth/privatekey,\n"
	        "                  then for aut 2 ssh-agent and ~/.ssh/id_{ed25519,ecdsa,rsa}\n"
	        "                  (`edgeview key` shows which one is used)\n"
	        "  -cafile FILE    trust this CA for the dispatcher (or EDGEVIEW_CAFILE)\n"
	        "  -insecure       do not check the dispatcher's certificate (testing only)\n"
	        "  -time RANGE     log/: hours ago \"0-0.5\" or RFC3339 range; tcpdump: seconds\n"
	        "  -line N         lines of context (log/), head/tail (cat), lines (top, dmesg)\n"
	        "  -json           log/ output as JSON;  -type app|dev  log/ filter\n"
	        "  -h [QUERY]      this text, or the help of one query (edgeview -h ps)\n"
	        "\n"
	        "exit status: 0 ok, 1 other failure, 2 usage or token, 3 dispatcher unreachable,\n"
	        "4 no device online, 5 refused by the device's policy, 6 verification failed,\n"
	        "7 the device cannot do what the token asks (EVE's device with an enc token),\n"
	        "130 interrupted; in interactive mode, the status of the last query.\n");
}

/* The command list, a few names a line. */
static void
list_commands(FILE *out)
{
	size_t col = 0;

	fprintf(out, "queries:");
	for (size_t i = 0; i < EV_ARRAY_LEN(help_table); i++) {
		size_t n = strlen(help_table[i].name) + 1;
		if (col + n > 60) {
			fprintf(out, "\n        ");
			col = 0;
		}
		fprintf(out, " %s", help_table[i].name);
		col += n;
	}
	fprintf(out, "\n");
}

void
client_help_interactive(FILE *out)
{
	fprintf(out, "Type a query with its options, as on the command line, e.g.\n"
	             "  ps/edgeviewd\n"
	             "  log/panic -time 0-2 -json\n"
	             "  tcpdump/eth0/udp port 53 -time 10\n");
	list_commands(out);
	fprintf(out, "help QUERY shows the help of one query; exit, quit or Ctrl-D end the\n"
	             "session; Ctrl-C stops waiting for the running query.\n");
}

const char *
client_help_find(const char *name, size_t len, const char **usage)
{
	for (size_t i = 0; i < EV_ARRAY_LEN(help_table); i++)
		if (strlen(help_table[i].name) == len &&
		    memcmp(help_table[i].name, name, len) == 0) {
			if (usage != NULL)
				*usage = help_table[i].usage;
			return help_table[i].help;
		}
	return NULL;
}

int
client_help(FILE *out, const char *topic)
{
	const char *usage = NULL, *text;
	size_t n;

	if (topic == NULL || topic[0] == '\0') {
		client_usage(out);
		fprintf(out, "\n");
		list_commands(out);
		fprintf(out, "edgeview -h QUERY shows the help of one query.\n");
		return CLIENT_OK;
	}
	/* "ps/foo" and "tcpdump/eth0/..." are explained as "ps" and "tcpdump". */
	n = strcspn(topic, "/");
	if ((text = client_help_find(topic, n, &usage)) != NULL) {
		fprintf(out, "usage: %s\n\n%s\n", usage, text);
		return CLIENT_OK;
	}
	if (ev_query_base_in(topic, n, ev_query_network_list) ||
	    ev_query_base_in(topic, n, ev_query_system_list)) {
		fprintf(out,
		        "%.*s: an EVE query that edgeviewd does not serve; an EVE device may.\n",
		        (int)n, topic);
		return CLIENT_OK;
	}
	fprintf(stderr, "edgeview: no help for '%s' (edgeview -h lists the queries)\n", topic);
	return CLIENT_USAGE;
}
