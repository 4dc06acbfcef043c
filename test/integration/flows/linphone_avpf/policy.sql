-- Issue 10: linphone (lp, 127.0.0.16:5060) calls a carrier with a codec
-- list (lpcarrier, a baresip on 127.0.0.17:5080). 4... from lp goes to
-- lpcarrier. The codec list is the point: wave 1 matched it only on
-- RTP/AVP lines and refused linphone's RTP/AVPF offer with 488.
INSERT INTO trunks (id, name, host, port, transport, register, max_channels, max_cps, codecs, srtp, options_ping_s, enabled)
VALUES (31, 'lp', '127.0.0.16', 5060, 'udp', 0, 0, 0, NULL, 'off', 0, 1),
       (32, 'lpcarrier', '127.0.0.17', 5080, 'udp', 0, 0, 0, 'PCMA,PCMU,telephone-event', 'off', 0, 1);
INSERT INTO trunk_sources (trunk_id, cidr) VALUES (31, '127.0.0.16/32'), (32, '127.0.0.17/32');
INSERT INTO routes (from_trunk_id, prefix, to_trunk_id, priority, weight, enabled)
VALUES (31, '4', 32, 1, 100, 1);
