/*
 * reply.c - the table of SIP responses the b2bua originates.
 *
 * Owns: the code, reason phrase and Retry-After of each reply_id. The only
 * file of the b2bua with SIP status literals (reply.h names the codes the
 * b2bua decides on). Retry-After policy: our own temporary refusals name
 * a time to come back (shutdown the longest); a 503 relayed from a trunk
 * never gets one from us.
 */
#include "reply.h"

static const struct reply table[RP__N] = {
	[RP_OK] = {200, "OK", 0},
	[RP_ACCEPTED] = {202, "Accepted", 0},
	[RP_BAD_REFER_TO] = {400, "Refer-To Has No Number", 0},
	[RP_RURI_HEADERS] = {400, "Headers Not Allowed In Request-URI", 0},
	[RP_BAD_SDP] = {400, "Malformed SDP", 0},
	[RP_USER_TOO_LONG] = {400, "User Part Too Long", 0},
	[RP_URI_TOO_LONG] = {414, "Request-URI Too Long", 0},
	[RP_SIPS_INSECURE] = {416, "SIPS Requires TLS", 0},
	[RP_LEAK] = {500, "Topology Leak Stopped", 0},
	[RP_FORBIDDEN] = {403, "Forbidden", 0},
	[RP_TRUNK_AUTH] = {403, "Trunk Authentication Failed", 0},
	[RP_REFER_REFUSED] = {403, "Transfer Not Allowed", 0},
	[RP_REFER_REPLACES] = {403, "Attended Transfer Not Supported", 0},
	[RP_NO_ROUTE] = {404, "No Route To Destination", 0},
	[RP_METHOD] = {405, "Method Not Allowed", 0},
	[RP_NOT_ACCEPTABLE] = {406, "Not Acceptable", 0},
	[RP_UNSUPPORTED_MEDIA] = {415, "Unsupported Media Type", 0},
	[RP_TRUNK_TIMEOUT] = {408, "Request Timeout", 0},
	[RP_NO_ANSWER] = {480, "No Answer", 0},
	[RP_CALLEE_GONE] = {480, "Callee Hung Up", 0},
	[RP_REDIRECTED] = {480, "Redirection Not Followed", 0},
	[RP_BAD_EXTENSION] = {420, "Bad Extension", 0},
	[RP_EXTENSION_REQUIRED] = {421, "Extension Required", 0},
	[RP_NO_DIALOG] = {481, "Call Does Not Exist", 0},
	[RP_LOOP] = {483, "Too Many Hops", 0},
	[RP_MEDIA] = {488, "Not Acceptable Here", 0},
	[RP_PENDING] = {491, "Request Pending", 0},
	[RP_INTERNAL] = {500, "Server Internal Error", 0},
	[RP_DRAINING] = {503, "Service Unavailable", 60},
	[RP_RATE_LIMITED] = {503, "Service Unavailable", 5},
	[RP_LIMITS] = {503, "Trunk Capacity Exceeded", 30},
	[RP_RELAY] = {503, "Media Relay Unavailable", 30},
	[RP_ADMIN] = {503, "Hung Up By Administrator", 0},
};

const struct reply *reply_get(enum reply_id id)
{
	if ((unsigned)id >= RP__N)
		id = RP_INTERNAL;
	return &table[id];
}
