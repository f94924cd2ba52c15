using System;
using System.Threading.Tasks;
using UnityEngine;
using UnityEngine.UI;

namespace GwmEngine.Components
{
    /// <summary>
    /// A generated world in the scene: connects to the daemon, creates a session from a seed
    /// (a Texture2D, a Camera's colour and depth, or a saved world file), keeps a play stream open
    /// and shows the newest frame every Update:
    /// <list type="bullet">
    /// <item>on a RawImage and/or a Renderer's material (via a property block, so the shared
    /// material is not copied);</item>
    /// <item>as global shader textures _GwmColor and _GwmDepth (metric z-depth, metres; the right
    /// eye's as _GwmColorRight and _GwmDepthRight), which GwmEngine/DepthComposite uses to
    /// depth-composite generated pixels with real geometry, and copied into
    /// <see cref="depthTarget"/> when set;</item>
    /// <item>per eye for XR (<see cref="LeftEye"/>, <see cref="RightEye"/>) when stereo.</item>
    /// </list>
    /// Send actions with <see cref="Send"/> (GwmCameraInput does) or XR head poses with
    /// <see cref="SendHeadPose"/>. Between frames, <see cref="PredictedPose"/> is where the
    /// camera is now (the newest frame and the actions sent since); <see cref="drivenCamera"/>
    /// follows it every frame, so a <see cref="GwmReprojection"/> drawn by that camera answers
    /// turns at display rate.
    /// </summary>
    [AddComponentMenu("GWM Engine/GWM World View")]
    public sealed class GwmWorldView : MonoBehaviour
    {
        public enum SeedSource { Texture, Camera, WorldFile }

        static readonly int ColorId = Shader.PropertyToID("_GwmColor");
        static readonly int DepthId = Shader.PropertyToID("_GwmDepth");
        static readonly int ColorRightId = Shader.PropertyToID("_GwmColorRight");
        static readonly int DepthRightId = Shader.PropertyToID("_GwmDepthRight");

        [Header("Daemon")]
        [Tooltip("The engine link's URL, printed by `gwm-engine serve`.")]
        public string linkUrl = "ws://127.0.0.1:50052/link";
        [Tooltip("Only when the daemon runs with --token.")]
        public string token = "";

        [Header("Seed")]
        public SeedSource seedSource = SeedSource.Texture;
        public Texture2D seedTexture;
        [Tooltip("Rendered once at start; the world's origin is this camera's pose at that moment.")]
        public Camera seedCamera;
        [Tooltip("Send the seed camera's depth buffer; off: the model estimates depth from colour.")]
        public bool seedCameraDepth = true;
        [Tooltip("A world saved with the editor window or SaveWorldAsync (a .bytes asset).")]
        public TextAsset worldFile;

        [Header("Session")]
        public int width = 640;
        public int height = 360;
        [Tooltip("Vertical field of view, degrees (a seed camera's own is used instead).")]
        public float fovDeg = 60;
        [Tooltip("Render a left and a right eye (XR).")]
        public bool stereo;
        public float ipdM = 0.064f;
        public bool startOnEnable = true;

        [Header("Display")]
        public RawImage rawImage;
        public Renderer targetRenderer;
        public string textureProperty = "_MainTex";
        public bool setGlobalShaderTextures = true;
        [Tooltip("Receives the metric depth (RFloat recommended) for your own compositing.")]
        public RenderTexture depthTarget;
        [Tooltip("Moved to the predicted pose every frame (the newest frame's pose and the actions sent since), with the session's field of view, so real geometry rendered by it lines up with the generated view.")]
        public Camera drivenCamera;
        [Tooltip("Where the generated world's origin sits in the scene; empty: the seed camera's pose at seeding, else this object's transform. In XR: the XR Origin (tracking space).")]
        public Transform worldOrigin;

        /// <summary>Raised on the main thread for every frame shown.</summary>
        public event Action<GwmFrame> FrameShown;

        public EngineLink Link { get; private set; }
        public GwmSession Session { get; private set; }
        public ServerInfo Info { get; private set; }
        public GwmFrame LastFrame { get; private set; }
        public GwmEyeTextures LeftEye { get; private set; }
        public GwmEyeTextures RightEye { get; private set; }
        /// <summary>Why the view stopped (or failed to start); null while it runs.</summary>
        public Exception LastError { get; private set; }
        public bool IsStreaming { get { return _stream != null && !_stream.IsEnded; } }

        PlayStream _stream;
        readonly PosePrediction _prediction = new PosePrediction();
        MaterialPropertyBlock _block;
        Matrix4x4 _origin = Matrix4x4.identity;
        readonly XrPoseAnchor _xrAnchor = new XrPoseAnchor();
        bool _starting;

        void OnEnable()
        {
            LeftEye = new GwmEyeTextures(name + " left");
            RightEye = new GwmEyeTextures(name + " right");
            if (startOnEnable) Forget(StartSessionAsync());
        }

        void OnDisable()
        {
            Stop();
            LeftEye.Dispose();
            RightEye.Dispose();
        }

        /// <summary>Connects (once) and starts a new session from the configured seed, replacing
        /// the current one.</summary>
        public Task StartSessionAsync()
        {
            return StartAsync(null);
        }

        /// <summary>Starts a session from a request built by the caller (PNG or JPEG bytes, depth
        /// from elsewhere); Stereo and IpdM are taken from this component.</summary>
        public Task StartSessionAsync(CreateSessionRequest request)
        {
            if (request == null) throw new ArgumentNullException("request");
            _origin = Matrix4x4.identity;
            return StartAsync(request);
        }

        async Task StartAsync(CreateSessionRequest request)
        {
            if (_starting) return;
            _starting = true;
            LastError = null;
            try
            {
                if (Link == null || !Link.IsConnected)
                {
                    Link = await EngineLink.ConnectAsync(linkUrl, string.IsNullOrEmpty(token) ? null : token);
                    Info = await Link.GetInfoAsync();
                }
                var previous = Session;
                EndStream();
                GwmSession session;
                if (request == null && seedSource == SeedSource.WorldFile)
                {
                    if (worldFile == null) throw new InvalidOperationException("seed source is WorldFile but no world file is set");
                    session = await Link.LoadWorldAsync(new LoadWorldRequest { World = worldFile.bytes });
                }
                else
                {
                    if (request == null) request = SeedRequest();
                    request.Stereo = stereo;
                    request.IpdM = stereo ? ipdM : 0;
                    session = await Link.CreateSessionAsync(request);
                }
                if (!isActiveAndEnabled)
                {
                    // Disabled while connecting: OnDisable's Stop could not close what did not exist yet.
                    Forget(CloseAsync(session, Link));
                    Link = null;
                    return;
                }
                Session = session;
                _xrAnchor.Reset();
                _prediction.Clear();
                _stream = session.Play();
                if (session.FirstFrame != null) Show(session.FirstFrame);
                else _stream.Send(new CameraAction());  // forked and loaded sessions render on their first action
                if (previous != null) Forget(previous.CloseAsync());
            }
            catch (Exception e)
            {
                LastError = e;
                throw;
            }
            finally
            {
                _starting = false;
            }
        }

        CreateSessionRequest SeedRequest()
        {
            if (seedSource == SeedSource.Camera)
            {
                if (seedCamera == null) throw new InvalidOperationException("seed source is Camera but no seed camera is set");
                _origin = Matrix4x4.TRS(seedCamera.transform.position, seedCamera.transform.rotation, Vector3.one);
                return GwmCameraCapture.FromCamera(seedCamera, width, height, seedCameraDepth);
            }
            if (seedTexture == null) throw new InvalidOperationException("seed source is Texture but no seed texture is set");
            _origin = Matrix4x4.identity;
            return GwmCameraCapture.FromTexture(seedTexture, width, height, fovDeg);
        }

        /// <summary>Sends a relative action on the play stream (ignored while no session runs).</summary>
        public void Send(CameraAction action)
        {
            if (!IsStreaming) return;
            try
            {
                _prediction.Sent(action, _stream.Send(action));
            }
            catch (GwmLinkException)
            {
                // The stream failed between the check and the send; Update reports why.
            }
        }

        /// <summary>Sends an XR head pose (tracking space, as the XR input reports it) as an
        /// absolute pose. The first one is anchored to the session's start, level and facing
        /// the same way, so the seed view appears straight ahead.</summary>
        public void SendHeadPose(Vector3 trackingPosition, Quaternion trackingRotation)
        {
            if (!IsStreaming) return;
            double[] head = GwmUnityConversions.PoseFromUnity(trackingPosition, trackingRotation);
            if (!_xrAnchor.IsAnchored) _xrAnchor.Anchor(Session.Info.Pose, head);
            Send(CameraAction.Absolute(_xrAnchor.ToWorld(head)));
        }

        /// <summary>Back to the start pose, where the seed was seen. A daemon since protocol 1.1.0
        /// resets the session itself (the seed's exact frame, walk mode's reset); an older one is
        /// sent the start pose as an absolute action.</summary>
        public async Task ResetAsync()
        {
            var session = RequireSession();
            if (SpeaksAtLeast(Info, 1, 1))
            {
                var frame = await session.ResetAsync();
                if (session != Session) return;
                _prediction.Clear();
                Show(frame);
            }
            else
            {
                Send(CameraAction.Absolute(session.Info.Pose));
            }
        }

        static bool SpeaksAtLeast(ServerInfo info, int major, int minor)
        {
            var parts = (info != null && info.ProtocolVersion != null ? info.ProtocolVersion : "1.0").Split('.');
            int theirMajor, theirMinor;
            if (parts.Length < 2 || !int.TryParse(parts[0], out theirMajor) || !int.TryParse(parts[1], out theirMinor)) return false;
            return theirMajor > major || (theirMajor == major && theirMinor >= minor);
        }

        /// <summary>Where the camera is now, world pose (16 doubles): the newest frame's pose and
        /// every action sent since, applied as the daemon applies them; null before a frame.</summary>
        public double[] PredictedPose { get { return _prediction.Pose; } }

        /// <summary>The scene transform (Unity's axes) of the camera that saw the newest frame, or
        /// its right eye's: where <see cref="GwmReprojection"/> places the frame's geometry.</summary>
        public Matrix4x4 FrameCameraToScene(bool rightEye)
        {
            var frame = LastFrame;
            if (frame == null) throw new InvalidOperationException("no frame yet");
            return PoseToScene(rightEye && frame.IsStereo ? frame.RightPose : frame.Pose);
        }

        Matrix4x4 PoseToScene(double[] worldPose)
        {
            double[] pose = worldPose;
            // XR: world poses go back into tracking space through the head's anchor.
            if (_xrAnchor.IsAnchored)
                pose = PoseMath.Multiply(PoseMath.InverseRigid(_xrAnchor.ToWorld(PoseMath.Identity())), pose);
            Vector3 position;
            Quaternion rotation;
            GwmUnityConversions.PoseToUnity(pose, out position, out rotation);
            var origin = worldOrigin != null ? worldOrigin.localToWorldMatrix : _origin;
            return origin * Matrix4x4.TRS(position, rotation, Vector3.one);
        }

        public Task<byte[]> SaveWorldAsync() { return RequireSession().SaveWorldAsync(); }

        public Task<GeometryExport> ExportGeometryAsync() { return RequireSession().ExportGeometryAsync(); }

        GwmSession RequireSession()
        {
            if (Session == null) throw new InvalidOperationException("no session yet: start one first");
            return Session;
        }

        void Update()
        {
            if (_stream == null) return;
            var error = _stream.Error;
            if (error != null && LastError == null)
            {
                LastError = error;
                Debug.LogError("GWM Engine: the play stream ended: " + error.Message, this);
            }
            GwmFrame frame;
            if (_stream.TryTakeLatest(out frame)) Show(frame);
        }

        void LateUpdate()
        {
            // After input sent this frame's actions: the camera goes where they lead.
            var predicted = _prediction.Pose;
            // Stereo frames follow the XR head, which already drives the camera.
            if (drivenCamera == null || predicted == null || LastFrame == null || LastFrame.IsStereo) return;
            var scene = PoseToScene(predicted);
            drivenCamera.transform.SetPositionAndRotation(scene.GetColumn(3), scene.rotation);
            drivenCamera.fieldOfView = (float)Session.Info.FovDeg;
        }

        void Show(GwmFrame frame)
        {
            LastFrame = frame;
            _prediction.FrameArrived(frame.Pose, frame.Seq);
            LeftEye.Upload(frame, false);
            if (frame.IsStereo) RightEye.Upload(frame, true);
            var right = frame.IsStereo ? RightEye : LeftEye;

            if (rawImage != null) rawImage.texture = LeftEye.Color;
            if (targetRenderer != null)
            {
                if (_block == null) _block = new MaterialPropertyBlock();
                targetRenderer.GetPropertyBlock(_block);
                _block.SetTexture(textureProperty, LeftEye.Color);
                targetRenderer.SetPropertyBlock(_block);
            }
            if (setGlobalShaderTextures)
            {
                Shader.SetGlobalTexture(ColorId, LeftEye.Color);
                Shader.SetGlobalTexture(DepthId, LeftEye.Depth);
                Shader.SetGlobalTexture(ColorRightId, right.Color);
                Shader.SetGlobalTexture(DepthRightId, right.Depth);
            }
            if (depthTarget != null) Graphics.Blit(LeftEye.Depth, depthTarget);
            var handler = FrameShown;
            if (handler != null) handler(frame);
        }

        /// <summary>Ends the stream, closes the session and the connection (without waiting).</summary>
        public void Stop()
        {
            EndStream();
            var session = Session;
            var link = Link;
            Session = null;
            Link = null;
            if (session != null && link != null) Forget(CloseAsync(session, link));
            else if (link != null) Forget(link.CloseAsync());
        }

        void EndStream()
        {
            if (_stream != null) _stream.Dispose();
            _stream = null;
        }

        static async Task CloseAsync(GwmSession session, EngineLink link)
        {
            try
            {
                await session.CloseAsync();
            }
            finally
            {
                await link.CloseAsync();
            }
        }

        void Forget(Task task)
        {
            task.ContinueWith(t =>
            {
                var e = t.Exception.InnerException;
                Debug.LogError("GWM Engine: " + e.Message);
            }, TaskContinuationOptions.OnlyOnFaulted);
        }
    }
}
