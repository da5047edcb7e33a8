import t from 'tap';
import { ApiActionError } from '../../../../src/api/server/api-actions.js';
import { mapError, validationFields } from '../../../../src/api/server/api-error.js';

t.test('Ajv errors become per-field errors with stable codes', async (t) => {
  t.same(
    validationFields(
      [
        { instancePath: '', keyword: 'additionalProperties', params: { additionalProperty: 'admin' }, message: 'must NOT have additional properties' },
        { instancePath: '', keyword: 'required', params: { missingProperty: 'ssid' }, message: "must have required property 'ssid'" },
        { instancePath: '/zones/0/points/1/0', keyword: 'maximum', params: {}, message: 'must be <= 1' },
        { instancePath: '/hidden', keyword: 'type', params: {}, message: 'must be boolean' },
      ],
      'body',
    ),
    [
      { field: 'admin', code: 'unknown_field', message: 'must NOT have additional properties' },
      { field: 'ssid', code: 'required', message: "must have required property 'ssid'" },
      { field: 'zones[0].points[1][0]', code: 'out_of_range', message: 'must be <= 1' },
      { field: 'hidden', code: 'wrong_type', message: 'must be boolean' },
    ],
  );
  t.same(validationFields([{ instancePath: '', keyword: 'additionalProperties', params: { additionalProperty: 'file' } }], 'querystring')[0]!.field, 'query.file');
  t.same(validationFields([{ instancePath: '', keyword: 'type', params: {} }], 'body')[0]!.field, '(body)');
});

t.test('errors map to the envelope without leaking messages', async (t) => {
  t.same(mapError(new ApiActionError('button_required', 'press the button', 409)), { status: 409, code: 'button_required', message: 'press the button', internal: false });
  t.same(mapError(new ApiActionError('x', 'y', 200)).status, 409, 'an action cannot pick a success status for an error');
  const internal = mapError(new Error('/data/secret at foo.ts:1'));
  t.same(internal, { status: 500, code: 'internal_error', message: 'internal error', internal: true });
  t.same(mapError(Object.assign(new Error('Body is too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 })).code, 'body_too_large');
  const parse = mapError(Object.assign(new SyntaxError('Unexpected token } in JSON at position 7: {"ssid":}'), { statusCode: 400 }));
  t.same(parse, { status: 400, code: 'bad_request', message: 'request refused', internal: false }, 'the parser message (which quotes the body) is dropped');
});
