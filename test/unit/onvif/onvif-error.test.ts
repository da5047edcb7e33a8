import t from 'tap';
import { OnvifError, classifyOnvifFailure } from '../../../src/media/onvif/onvif-error.js';

t.test('node-onvif messages map to coded errors', async (t) => {
  const cases: Array<[string, string]> = [
    ['Failed to initialize the device: Error: Network Error: connect ECONNREFUSED 127.0.0.1:1', 'onvif_unreachable'],
    ['Failed to initialize the device: Error: Network Error: socket hang up', 'onvif_unreachable'],
    ['Network Error: connect EHOSTUNREACH 10.0.0.9:80', 'onvif_unreachable'],
    ['Failed to initialize the device: Error: 400 Bad Request - Sender not Authorized (bad digest)', 'onvif_unauthorized'],
    ['401 Unauthorized', 'onvif_unauthorized'],
    ['The security token could not be authenticated or authorized', 'onvif_unauthorized'],
    ['400 Bad Request - Optional Action Not Implemented', 'onvif_unsupported'],
    ['ter:ActionNotSupported', 'onvif_unsupported'],
    ['Failed to initialize the device: Error: Non-whitespace before first tag.', 'onvif_invalid_response'],
    ['404 Not Found', 'onvif_invalid_response'],
    ['400 Bad Request - No such PTZ preset', 'onvif_invalid_argument'],
  ];
  for (const [message, code] of cases) t.equal(classifyOnvifFailure(new Error(message), 'x').code, code, message);
});

t.test('the message drops node-onvif’s prefix and hides credentials', async (t) => {
  const e = classifyOnvifFailure(new Error('Failed to initialize the device: Error: Network Error: connect ECONNREFUSED'), 'ONVIF connect');
  t.equal(e.message, 'ONVIF connect: Network Error: connect ECONNREFUSED');
  const leaky = classifyOnvifFailure(new Error('bad reply from http://admin:hunter2@h/onvif hunter2'), 'call', ['hunter2']);
  t.notMatch(leaky.message, /hunter2/);
  t.match(leaky.message, /http:\/\/\*\*\*@h/);
  const own = new OnvifError('ptz_unsupported', 'no');
  t.equal(classifyOnvifFailure(own, 'x'), own, 'an OnvifError passes through');
});
