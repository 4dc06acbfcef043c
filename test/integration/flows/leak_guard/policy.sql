UPDATE trunks SET sdp_keep = 'i,u,e,p,tool,ssrc,msid,x' WHERE name = 'carrier1';
DELETE FROM routes WHERE to_trunk_id = 3;
