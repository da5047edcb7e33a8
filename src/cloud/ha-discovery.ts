import type { HaDiscoveryPayload, InfoPayload } from './payloads.js';
import type { TopicScheme } from './topics.js';

/**
 * Home Assistant MQTT discovery: retained config documents that make the
 * camera appear as a device with a connectivity sensor, a motion sensor and
 * a Wi-Fi signal sensor, all reading the topics the cloud reads. Published
 * on connect and when Home Assistant announces itself (`homeassistant/status`
 * = online), as Zigbee2MQTT does.
 */
export function haDiscoveryMessages(scheme: TopicScheme, info: InfoPayload): Array<{ topic: string; payload: HaDiscoveryPayload }> {
  const id = scheme.deviceId;
  const device = {
    identifiers: [`camera-agent_${id}`],
    name: `Camera ${id}`,
    model: info.model,
    manufacturer: 'camera-agent',
    sw_version: info.firmwareVersion,
  };
  const availability = {
    availability_topic: scheme.status,
    availability_template: '{{ value_json.state }}',
    payload_available: 'online',
    payload_not_available: 'offline',
  };
  return [
    {
      topic: scheme.haDiscovery('binary_sensor', 'connectivity'),
      payload: {
        name: 'Cloud link',
        unique_id: `${id}_connectivity`,
        device_class: 'connectivity',
        state_topic: scheme.status,
        value_template: "{{ 'ON' if value_json.state == 'online' else 'OFF' }}",
        device,
      },
    },
    {
      topic: scheme.haDiscovery('binary_sensor', 'motion'),
      payload: {
        name: 'Motion',
        unique_id: `${id}_motion`,
        device_class: 'motion',
        state_topic: scheme.event('motion'),
        value_template: "{{ 'ON' if value_json.data.state == 'start' else 'OFF' }}",
        off_delay: 60,
        device,
        ...availability,
      },
    },
    {
      topic: scheme.haDiscovery('sensor', 'rssi'),
      payload: {
        name: 'Wi-Fi signal',
        unique_id: `${id}_rssi`,
        device_class: 'signal_strength',
        unit_of_measurement: 'dBm',
        state_topic: scheme.info,
        value_template: '{{ value_json.wifi.rssi }}',
        entity_category: 'diagnostic',
        device,
        ...availability,
      },
    },
  ];
}
