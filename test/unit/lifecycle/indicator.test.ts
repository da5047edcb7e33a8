import t from 'tap';
import { promptFor, LED_FOR_STATE, ledWhileHeld } from '../../../src/lifecycle/indicator.js';

t.test('each change a person should hear has its prompt', async (t) => {
  t.equal(promptFor('factory-new', 'provisioning', 'provisioning (first-boot)'), 'waiting-for-wifi');
  t.equal(promptFor('bound', 'provisioning', 'provisioning (button)'), 'reset-provisioning');
  t.equal(promptFor('provisioning', 'provisioning', 'provisioning (button)'), 'reset-provisioning', 'a 5 s hold while provisioning restarts it audibly');
  t.equal(promptFor('provisioning', 'joining', 'credentials received'), 'connecting');
  t.equal(promptFor('joining', 'online', 'cloud link up'), 'connected');
  t.equal(promptFor('joining', 'bound', 'cloud link up'), 'connected');
  t.equal(promptFor('online', 'bound', 'bound to account'), 'bound');
  t.equal(promptFor('joining', 'provisioning', 'join failed: auth_failed'), 'wrong-password');
  t.equal(promptFor('joining', 'provisioning', 'join failed: ap_not_found'), 'network-not-found');
  t.equal(promptFor('joining', 'provisioning', 'join failed: dhcp_timeout'), 'connection-failed');
  t.equal(promptFor('bound', 'factory-new', 'factory reset'), 'factory-reset');
});

t.test('silent changes stay silent', async (t) => {
  t.equal(promptFor('degraded', 'bound', 'cloud link up'), null, 'reconnects are not announced');
  t.equal(promptFor('bound', 'degraded', 'link lost'), null);
  t.equal(promptFor('joining', 'joining', 'boot'), null);
  t.equal(promptFor('bound', 'privacy', 'privacy on'), null);
  t.equal(promptFor('privacy', 'provisioning', 'privacy off'), null, 'leaving privacy resumes silently');
});

t.test('every state has a LED pattern', async (t) => {
  t.same(Object.keys(LED_FOR_STATE).sort(), ['bound', 'degraded', 'factory-new', 'joining', 'online', 'privacy', 'provisioning']);
  t.equal(LED_FOR_STATE.degraded, 'error');
});

t.test('holding the button tells when to let go', async (t) => {
  t.equal(ledWhileHeld({ type: 'pressed', at: 0 }), null, 'a press alone changes nothing');
  t.equal(ledWhileHeld({ type: 'threshold', threshold: 'reset-provisioning', heldMs: 5000 }), 'identify');
  t.equal(ledWhileHeld({ type: 'threshold', threshold: 'factory-reset', heldMs: 15000 }), 'error');
  t.equal(ledWhileHeld({ type: 'gesture', gesture: 'short', heldMs: 200 }), 'state', 'back to the state pattern on release');
  t.equal(ledWhileHeld({ type: 'stuck', heldMs: 60000 }), 'state');
});
