import * as path from 'node:path';
import { Image } from '@cdktf/provider-docker/lib/image';
import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { hashDirectory } from './content-hash';
import { ProblemCollector } from './errors';
import { PROJECT_LABEL } from './labels';

/** Props of {@link GatewayImage}. */
export interface GatewayImageProps {
  /**
   * Absolute path of the build context (the folder holding the Dockerfile). Hashed at synth time.
   * @default - `gateway-image/` under `projectDir`
   */
  readonly buildContextDir?: string;
  /**
   * The project root.
   * @default - process.cwd()
   */
  readonly projectDir?: string;
  /**
   * The synth output folder. Terraform runs in `<outdir>/stacks/<stack>`, so the build context is written
   * relative to that folder (a machine-independent plan, no absolute paths).
   * @default - `<projectDir>/cdktf.out`
   */
  readonly outdir?: string;
  /**
   * The Dockerfile's `BASE_IMAGE` build argument.
   * @default - no build argument: the Dockerfile's own default base image
   */
  readonly baseImage?: string;
  /**
   * A prebuilt image to pull and run instead of building the context.
   * @default - build the context
   */
  readonly prebuiltImage?: string;
  /**
   * Tag given to the built image.
   * @default "mcp-gateway:local"
   */
  readonly imageName?: string;
}

/**
 * The gateway's Docker image: built from gateway-image/ (with a content hash in `triggers`, so any file change
 * rebuilds it) or, when `prebuiltImage` is set, that image pulled as is.
 */
export class GatewayImage extends Construct {
  /** The docker_image resource. */
  public readonly image: Image;
  /** What a container's `image` should reference: the image id (a rebuild then replaces the container). */
  public readonly imageRef: string;
  /** True when the image is built from the context. */
  public readonly built: boolean;
  /** SHA-256 of the build context; undefined for a prebuilt image. */
  public readonly contextHash?: string;

  constructor(scope: Construct, id: string, props: GatewayImageProps = {}) {
    super(scope, id);
    const problems = new ProblemCollector();
    if (props.prebuiltImage !== undefined && props.baseImage !== undefined) {
      problems.add('baseImage', props.baseImage, 'has no effect with prebuiltImage (nothing is built); pass only one of them');
    }
    if (props.buildContextDir !== undefined && !path.isAbsolute(props.buildContextDir)) {
      problems.add('buildContextDir', props.buildContextDir, 'must be an absolute path; use path.resolve(...)');
    }
    problems.throwIfAny(`GatewayImage ${this.node.path}`);

    if (props.prebuiltImage !== undefined) {
      this.built = false;
      this.image = new Image(this, 'image', { name: props.prebuiltImage, keepLocally: true });
    } else {
      const projectDir = props.projectDir ?? process.cwd();
      const contextDir = props.buildContextDir ?? path.join(projectDir, 'gateway-image');
      // cdktf writes each stack to <outdir>/stacks/<stack id>, and Terraform runs there.
      const stackDir = path.join(path.resolve(props.outdir ?? path.join(projectDir, 'cdktf.out')), 'stacks', TerraformStack.of(this).node.id);
      this.built = true;
      this.contextHash = hashDirectory(contextDir);
      this.image = new Image(this, 'image', {
        name: props.imageName ?? 'mcp-gateway:local',
        keepLocally: true,
        triggers: { context_sha256: this.contextHash },
        buildAttribute: {
          context: path.relative(stackDir, contextDir).split(path.sep).join('/'),
          dockerfile: 'Dockerfile',
          buildArgs: props.baseImage !== undefined ? { BASE_IMAGE: props.baseImage } : undefined,
          label: { project: PROJECT_LABEL, component: 'gateway', 'managed-by': 'cdktf' },
          remove: true,
        },
      });
    }
    this.imageRef = this.image.imageId;
  }
}
