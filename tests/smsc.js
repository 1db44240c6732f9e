// SPDX-License-Identifier: GPL-3.0-or-later
// A small SMSC for the SMPP gateway's tests, on node-smpp's server.
//
//   node smsc.js --ready FILE --record FILE [--ctl DIR] [options]
//
// Listens on 127.0.0.1 (a free port, written to the --ready file once
// listening), accepts one bind_transceiver with --system-id/--password,
// answers submit_sm with message ids "m1", "m2"... and records each
// submit it answered as a JSON line in the --record file (a submit it
// never answered is not there). For each accepted submit that asked for
// one it sends a delivery receipt (deliver_sm, esm_class 4): UNDELIV
// err:001 for the --undeliv number, else DELIVRD err:000; receipts of
// even ids carry the receipted_message_id and message_state TLVs too,
// odd ones only the text. Faults, once each:
//   --throttle-at N   answer the Nth submit with ESME_RTHROTTLED
//   --syserr-at N     answer the Nth submit with ESME_RSYSERR
//   --drop-after N    from the Nth submit on answer nothing, and close
//                     the connection 200 ms later
//   --bind-status N   answer every bind with command_status N
//   --lose-at N       never answer the Nth submit (as if its answer were
//                     lost), but go on answering the others and
//                     enquire_link
// With --hex-decimal the answers give ids in hex ("1A2B01"...) and the
// receipts (text and TLV) the same numbers in decimal, the text's
// zero-padded to 10 digits, as some SMSCs do (Kannel's msg-id-type 1);
// with --tlv-as-sent too, the TLV gives the id as the answer did.
// Inbound: a JSON file put in --ctl DIR is an array of deliver_sm to
// send in order ({from, to, dc, udh (hex), text, tlvs}; or hex, the
// short_message's octets as they are, instead of udh and text; vendor,
// a number of empty vendor-specific TLVs 0x1400 to add; vendor_octets,
// one such TLV of that many octets); each answer is recorded
// ({"ev":"mo_resp","tag":...,"status":...}).
'use strict';
const fs = require('fs');
const path = require('path');
const smpp = require('smpp');

const opt = {
	systemId: 'cirm', password: 'hemligt', ready: null, record: null,
	ctl: null, undeliv: '', throttleAt: 0, syserrAt: 0, dropAfter: 0,
	loseAt: 0, bindStatus: 0, hexDecimal: false, tlvAsSent: false,
	receipts: true,
	tlsKey: null, tlsCert: null,
};
for (let i = 2; i < process.argv.length; i++) {
	const a = process.argv[i], v = process.argv[i + 1];
	switch (a) {
	case '--system-id': opt.systemId = v; i++; break;
	case '--password': opt.password = v; i++; break;
	case '--ready': opt.ready = v; i++; break;
	case '--record': opt.record = v; i++; break;
	case '--ctl': opt.ctl = v; i++; break;
	case '--undeliv': opt.undeliv = v; i++; break;
	case '--throttle-at': opt.throttleAt = Number(v); i++; break;
	case '--syserr-at': opt.syserrAt = Number(v); i++; break;
	case '--drop-after': opt.dropAfter = Number(v); i++; break;
	case '--lose-at': opt.loseAt = Number(v); i++; break;
	case '--bind-status': opt.bindStatus = Number(v); i++; break;
	case '--no-receipts': opt.receipts = false; break;
	case '--hex-decimal': opt.hexDecimal = true; break;
	case '--tlv-as-sent': opt.tlvAsSent = true; break;
	case '--tls-key': opt.tlsKey = v; i++; break;
	case '--tls-cert': opt.tlsCert = v; i++; break;
	default:
		console.error('smsc.js: unknown option ' + a);
		process.exit(64);
	}
}

function record(obj) {
	if (opt.record)
		fs.appendFileSync(opt.record, JSON.stringify(obj) + '\n');
}

smpp.addTLV('cirm_test_vendor', { id: 0x1400, type: smpp.types.tlv.buffer,
	multiple: true });

let submits = 0, ids = 0, dropped = false, throttled = false, syserr = false;
let lost = false;
let current = null;

// "ref/total/seq" of a concatenation IE in a decoded UDH list.
function concatOf(udh) {
	for (const ie of udh || []) {
		if (ie[0] === 0x00 && ie[1] === 3)
			return ie[2] + '/' + ie[3] + '/' + ie[4];
		if (ie[0] === 0x08 && ie[1] === 4)
			return ie.readUInt16BE(2) + '/' + ie[4] + '/' + ie[5];
	}
	return null;
}

function textOf(v) {
	if (v === undefined || v === null)
		return null;
	return typeof v === 'object' && 'message' in v ? String(v.message) : String(v);
}

function receipt(session, pdu, id, n) {
	const bad = pdu.destination_addr === opt.undeliv;
	const stat = bad ? 'UNDELIV' : 'DELIVRD';
	const rid = opt.hexDecimal ? String(parseInt(id, 16)) : id;
	const text = 'id:' + (opt.hexDecimal ? rid.padStart(10, '0') : id) +
		' sub:001 dlvrd:' + (bad ? '000' : '001') +
		' submit date:2601011200 done date:2601011201 stat:' + stat +
		' err:' + (bad ? '001' : '000') + ' text:';
	const p = {
		source_addr_ton: 1, source_addr_npi: 1,
		source_addr: pdu.destination_addr,
		dest_addr_ton: pdu.source_addr_ton, dest_addr_npi: pdu.source_addr_npi,
		destination_addr: pdu.source_addr,
		esm_class: 4, data_coding: 0, short_message: Buffer.from(text),
	};
	if (n % 2 === 0) {
		p.receipted_message_id = opt.tlvAsSent ? id : rid;
		p.message_state = bad ? 5 : 2;
	}
	session.deliver_sm(p, (r) => record({ ev: 'receipt_resp', id: id,
		status: r.command_status }));
}

function onSubmit(session, st, pdu) {
	submits++;
	if (st.holding)
		return;
	if (opt.dropAfter && !dropped && submits >= opt.dropAfter) {
		dropped = true;
		st.holding = true;
		record({ ev: 'drop', at: submits });
		setTimeout(() => session.destroy(), 200);
		return;
	}
	if (opt.loseAt && !lost && submits >= opt.loseAt) {
		lost = true;
		record({ ev: 'lost', at: submits });
		return;
	}
	if (opt.throttleAt && !throttled && submits >= opt.throttleAt) {
		throttled = true;
		record({ ev: 'throttled', at: submits });
		session.send(pdu.response({ command_status: smpp.ESME_RTHROTTLED }));
		return;
	}
	if (opt.syserrAt && !syserr && submits >= opt.syserrAt) {
		syserr = true;
		record({ ev: 'syserr', at: submits });
		session.send(pdu.response({ command_status: smpp.ESME_RSYSERR }));
		return;
	}
	const n = ++ids;
	const id = opt.hexDecimal ? (0x1A2B00 + n).toString(16).toUpperCase() :
		'm' + n;
	const sm = pdu.short_message || {};
	const payload = pdu.message_payload;
	session.send(pdu.response({ message_id: id }));
	record({
		ev: 'submit', id: id, to: pdu.destination_addr,
		to_ton: pdu.dest_addr_ton, from: pdu.source_addr,
		from_ton: pdu.source_addr_ton, dc: pdu.data_coding,
		esm: pdu.esm_class, reg: pdu.registered_delivery,
		concat: concatOf(sm.udh),
		payload: payload !== undefined && payload !== null,
		text: payload !== undefined && payload !== null ?
			textOf(payload) : textOf(sm),
	});
	if (opt.receipts && (pdu.registered_delivery & 1))
		setTimeout(() => receipt(session, pdu, id, n), 20);
}

// With --tls-key and --tls-cert (PEM files) the SMSC speaks SMPP over
// TLS from the first byte.
const serverOptions = opt.tlsKey && opt.tlsCert ? {
	key: fs.readFileSync(opt.tlsKey), cert: fs.readFileSync(opt.tlsCert),
} : {};
const server = smpp.createServer(serverOptions, (session) => {
	const st = { bound: false, holding: false };
	session.on('error', () => {});
	session.on('bind_transceiver', (pdu) => {
		if (pdu.system_id !== opt.systemId || pdu.password !== opt.password) {
			record({ ev: 'bind', ok: false });
			session.send(pdu.response({ command_status: smpp.ESME_RINVPASWD }));
			session.close();
			return;
		}
		if (opt.bindStatus) {
			record({ ev: 'bind', ok: false, status: opt.bindStatus });
			session.send(pdu.response({ command_status: opt.bindStatus }));
			session.close();
			return;
		}
		st.bound = true;
		current = session;
		record({ ev: 'bind', ok: true, system_type: pdu.system_type });
		session.send(pdu.response({ system_id: 'cirmsmsc' }));
	});
	session.on('submit_sm', (pdu) => {
		if (!st.bound) {
			session.send(pdu.response({ command_status: smpp.ESME_RINVBNDSTS }));
			return;
		}
		onSubmit(session, st, pdu);
	});
	session.on('enquire_link', (pdu) => session.send(pdu.response()));
	session.on('unbind', (pdu) => {
		record({ ev: 'unbind' });
		session.send(pdu.response());
		session.close();
	});
	session.on('close', () => {
		if (current === session)
			current = null;
	});
});

// Sends the deliver_sm of one control file, one after the other.
function sendMo(list, tag) {
	if (list.length === 0 || current === null)
		return;
	const m = list.shift();
	const p = {
		source_addr_ton: 1, source_addr_npi: 1, source_addr: m.from,
		dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: m.to || '',
		data_coding: m.dc || 0, esm_class: 0,
		short_message: m.hex !== undefined ? Buffer.from(m.hex, 'hex') :
			m.udh ? { udh: Buffer.from(m.udh, 'hex'), message: m.text } :
			{ message: m.text },
	};
	Object.assign(p, m.tlvs || {});
	if (m.vendor)
		p.cirm_test_vendor = Array(m.vendor).fill(Buffer.alloc(0));
	if (m.vendor_octets)
		p.cirm_test_vendor = [Buffer.alloc(m.vendor_octets, 0x61)];
	current.deliver_sm(p, (r) => {
		record({ ev: 'mo_resp', tag: tag, status: r.command_status });
		sendMo(list, tag);
	});
}

if (opt.ctl) {
	setInterval(() => {
		if (current === null)
			return;
		for (const f of fs.readdirSync(opt.ctl).sort()) {
			if (!f.endsWith('.json'))
				continue;
			const file = path.join(opt.ctl, f);
			const list = JSON.parse(fs.readFileSync(file, 'utf8'));
			fs.renameSync(file, file + '.sent');
			sendMo(list, f.replace(/\.json$/, ''));
		}
	}, 100);
}

server.listen(0, '127.0.0.1', () => {
	if (opt.ready)
		fs.writeFileSync(opt.ready, String(server.address().port) + '\n');
});
process.on('SIGTERM', () => process.exit(0));
