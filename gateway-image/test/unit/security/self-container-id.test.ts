import { describe, expect, it } from 'vitest';
import { selfContainerIdFrom } from '../../../src/core/security/self-container-id.js';

const LAYER = '4ca2fd7a71d0ccadffa08e71e8ff18815e4b1b1adea7cf25d6bb00eb062a8820';
const ID = 'ecb95026312a1a6eddf0062af66c9d1544fc690e15141f78f0b5a8f9cf9f6688';
/** Trimmed from a real container: the root overlay line (a layer id) comes before the /containers/<id>/ binds. */
const MOUNTINFO = [
  `100 73 0:39 / / rw,relatime master:2 - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/CQUG:/var/lib/docker/overlay2/l/RWZL,upperdir=/var/lib/docker/overlay2/${LAYER}/diff,workdir=/var/lib/docker/overlay2/${LAYER}/work`,
  '101 100 0:44 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw',
  `120 100 254:1 /var/lib/docker/containers/${ID}/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/vda1 rw`,
  `121 100 254:1 /var/lib/docker/containers/${ID}/hostname /etc/hostname rw,relatime - ext4 /dev/vda1 rw`,
].join('\n');

describe('selfContainerIdFrom', () => {
  it('takes the id from the /containers/<id>/ binds, not the overlay layer id that comes first', () => {
    expect(selfContainerIdFrom(MOUNTINFO)).toBe(ID);
  });

  it('falls back to a cgroup v1 path', () => {
    expect(selfContainerIdFrom('100 73 0:39 / / rw - overlay overlay rw', `12:pids:/docker/${ID}\n0::/docker/${ID}\n`)).toBe(ID);
    expect(selfContainerIdFrom(undefined, `0::/system.slice/docker-${ID}.scope\n`)).toBe(ID);
  });

  it('is undefined outside a container', () => {
    expect(selfContainerIdFrom('22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw', '0::/user.slice/user-1000.slice\n')).toBeUndefined();
    expect(selfContainerIdFrom(undefined, undefined)).toBeUndefined();
  });
});
