using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text.RegularExpressions;
using GwmEngine.Components;
using UnityEditor;
using UnityEngine;

namespace GwmEngine.EditorTools
{
    /// <summary>
    /// Window > GWM Engine > World Explorer: connect to a daemon (or start one with
    /// `gwm-engine serve`), seed a world from the Scene view's colour and depth, walk it inside
    /// the window, and save it as a .bytes asset that GwmWorldView loads (seed source World File).
    /// </summary>
    public sealed class GwmEngineWindow : EditorWindow
    {
        // What `gwm-engine serve` prints once the link listens (gwm_engine/client/local.py reads the same).
        static readonly Regex LinkLine = new Regex(@"engine link on (ws://[^\s,]+)");

        string _url = "ws://127.0.0.1:50052/link";
        string _token = "";
        string _serveCommand = "gwm-engine";
        int _width = 512;
        int _height = 384;
        bool _sceneDepth = true;
        float _moveSpeed = 1.5f;

        EngineLink _link;
        GwmSession _session;
        PlayStream _stream;
        GwmEyeTextures _view;
        Process _daemon;
        string _daemonUrl;  // set by the daemon's output thread, read on the main thread
        readonly object _daemonGate = new object();
        string _status = "Not connected.";
        bool _busy;

        readonly HashSet<KeyCode> _held = new HashSet<KeyCode>();
        Vector2 _mouseDelta;
        double _lastTick;
        readonly CameraInputSettings _settings = new CameraInputSettings();

        [MenuItem("Window/GWM Engine/World Explorer")]
        static void Open()
        {
            GetWindow<GwmEngineWindow>("GWM Engine");
        }

        void OnEnable()
        {
            _view = new GwmEyeTextures("GWM Engine window");
            wantsMouseMove = false;
            _lastTick = EditorApplication.timeSinceStartup;
            EditorApplication.update += Tick;
        }

        void OnDisable()
        {
            EditorApplication.update -= Tick;
            Disconnect();
            StopDaemon();
            _view.Dispose();
        }

        void OnLostFocus()
        {
            _held.Clear();
        }

        void OnGUI()
        {
            EditorGUILayout.LabelField("Daemon", EditorStyles.boldLabel);
            using (new EditorGUI.DisabledScope(_link != null))
            {
                _url = EditorGUILayout.TextField("Engine link URL", _url);
                _token = EditorGUILayout.PasswordField("Token (optional)", _token);
                _serveCommand = EditorGUILayout.TextField("Serve command", _serveCommand);
            }
            using (new EditorGUILayout.HorizontalScope())
            {
                using (new EditorGUI.DisabledScope(_daemon != null || _link != null))
                    if (GUILayout.Button("Start daemon")) StartDaemon();
                using (new EditorGUI.DisabledScope(_busy))
                {
                    if (_link == null) { if (GUILayout.Button("Connect")) Connect(); }
                    else if (GUILayout.Button("Disconnect")) Disconnect();
                }
            }

            EditorGUILayout.Space();
            EditorGUILayout.LabelField("World", EditorStyles.boldLabel);
            _width = EditorGUILayout.IntField("Width", _width);
            _height = EditorGUILayout.IntField("Height", _height);
            _sceneDepth = EditorGUILayout.Toggle(new GUIContent("Send scene depth", "Off: the model estimates depth from colour."), _sceneDepth);
            _moveSpeed = EditorGUILayout.FloatField("Walk speed (m/s)", _moveSpeed);
            using (new EditorGUILayout.HorizontalScope())
            {
                using (new EditorGUI.DisabledScope(_link == null || _busy))
                    if (GUILayout.Button("Seed from Scene view")) SeedFromSceneView();
                using (new EditorGUI.DisabledScope(_session == null || _busy))
                {
                    if (GUILayout.Button("Save world as asset…")) SaveWorld();
                    if (GUILayout.Button("Export geometry (PLY)…")) ExportGeometry();
                }
            }
            EditorGUILayout.HelpBox(_status, MessageType.None);

            var area = GUILayoutUtility.GetRect(position.width - 8, Mathf.Max(64, position.height - 260), GUILayout.ExpandWidth(true), GUILayout.ExpandHeight(true));
            if (_view.Color != null) GUI.DrawTexture(area, _view.Color, ScaleMode.ScaleToFit);
            else EditorGUI.DrawRect(area, new Color(0.1f, 0.1f, 0.1f));
            if (_session != null)
                GUI.Label(new Rect(area.x + 6, area.y + 4, area.width - 12, 20), "Click here, then WASD / Q E to move, arrows or right-drag to look, Shift to run.", EditorStyles.whiteMiniLabel);
            HandleInput(area);
        }

        void HandleInput(Rect area)
        {
            var e = Event.current;
            switch (e.type)
            {
                case EventType.MouseDown:
                    if (area.Contains(e.mousePosition))
                    {
                        GUIUtility.keyboardControl = 0;  // leave any text field, so keys walk
                        Focus();
                        e.Use();
                    }
                    break;
                case EventType.MouseDrag:
                    if (e.button == 1 && area.Contains(e.mousePosition))
                    {
                        _mouseDelta += new Vector2(e.delta.x, -e.delta.y);  // GUI y grows down; look-up is +
                        e.Use();
                    }
                    break;
                case EventType.KeyDown:
                    // Keys typed into a text field stay there.
                    if (_session != null && e.keyCode != KeyCode.None && GUIUtility.keyboardControl == 0)
                    {
                        _held.Add(e.keyCode);
                        e.Use();
                    }
                    break;
                case EventType.KeyUp:
                    if (_held.Remove(e.keyCode)) e.Use();
                    break;
            }
        }

        void Tick()
        {
            double now = EditorApplication.timeSinceStartup;
            double dt = now - _lastTick;
            _lastTick = now;

            string url;
            lock (_daemonGate) { url = _daemonUrl; _daemonUrl = null; }
            if (url != null)
            {
                _url = url;
                Connect();
            }
            if (_daemon != null && _daemon.HasExited)
            {
                _status = "The daemon exited with code " + _daemon.ExitCode + ".";
                _daemon = null;
                Repaint();
            }

            if (_stream == null) return;
            if (_stream.Error != null)
            {
                _status = "The play stream ended: " + _stream.Error.Message;
                _stream = null;
                Repaint();
                return;
            }
            if (focusedWindow == this)
            {
                _settings.MoveSpeedMps = _moveSpeed;
                var action = CameraInputMapper.Map(new CameraInputSample
                {
                    Forward = Held(KeyCode.W) - Held(KeyCode.S),
                    Right = Held(KeyCode.D) - Held(KeyCode.A),
                    Up = Held(KeyCode.E) - Held(KeyCode.Q),
                    LookRight = Held(KeyCode.RightArrow) - Held(KeyCode.LeftArrow),
                    LookUp = Held(KeyCode.UpArrow) - Held(KeyCode.DownArrow),
                    MouseDeltaX = _mouseDelta.x,
                    MouseDeltaY = _mouseDelta.y,
                    SpeedMultiplier = _held.Contains(KeyCode.LeftShift) || _held.Contains(KeyCode.RightShift) ? 3 : 1,
                }, dt, _settings);
                _mouseDelta = Vector2.zero;
                if (!action.IsIdle) _stream.Send(action);
            }
            GwmFrame frame;
            if (_stream.TryTakeLatest(out frame))
            {
                _view.Upload(frame, false);
                double latencyMs = (EngineLink.NowUs - frame.ClientTimeUs) / 1000.0;
                _status = string.Format("Session {0}: frame {1} (seq {2}), {3:F0} ms after its action.",
                    _session.Id.Substring(0, Math.Min(8, _session.Id.Length)), frame.Index, frame.Seq, frame.Seq == 0 ? 0 : latencyMs);
                Repaint();
            }
        }

        double Held(KeyCode key)
        {
            return _held.Contains(key) ? 1 : 0;
        }

        void StartDaemon()
        {
            try
            {
                var start = new ProcessStartInfo(_serveCommand, "serve --port 0 --link-port 0")
                {
                    UseShellExecute = false,
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    CreateNoWindow = true,
                };
                _daemon = Process.Start(start);
                _daemon.OutputDataReceived += (sender, line) => OnDaemonLine(line.Data);
                _daemon.ErrorDataReceived += (sender, line) => OnDaemonLine(line.Data);
                _daemon.BeginOutputReadLine();
                _daemon.BeginErrorReadLine();
                _status = "Starting `" + _serveCommand + " serve`…";
            }
            catch (Exception e)
            {
                _daemon = null;
                _status = "Cannot start `" + _serveCommand + "`: " + e.Message + " (install gwm-engine, or give the full path of its command).";
            }
        }

        void OnDaemonLine(string line)
        {
            if (line == null) return;
            var match = LinkLine.Match(line);
            if (match.Success) lock (_daemonGate) _daemonUrl = match.Groups[1].Value;
        }

        void StopDaemon()
        {
            if (_daemon == null) return;
            try
            {
                if (!_daemon.HasExited) _daemon.Kill();
            }
            catch (InvalidOperationException)
            {
                // It exited between the check and the kill.
            }
            _daemon.Dispose();
            _daemon = null;
        }

        async void Connect()
        {
            _busy = true;
            _status = "Connecting to " + _url + "…";
            try
            {
                _link = await EngineLink.ConnectAsync(_url, string.IsNullOrEmpty(_token) ? null : _token);
                var info = await _link.GetInfoAsync();
                _settings.MaxMoveM = info.MaxMoveM;
                _settings.MaxTurnDeg = info.MaxTurnDeg;
                _status = string.Format("Connected: gwm-engine {0}, model {1} {2}.", info.ServerVersion, info.ModelName, info.ModelVersion);
            }
            catch (Exception e)
            {
                _link = null;
                _status = e.Message;
            }
            finally
            {
                _busy = false;
                Repaint();
            }
        }

        void Disconnect()
        {
            if (_stream != null) _stream.Dispose();
            var link = _link;
            var session = _session;
            _stream = null;
            _session = null;
            _link = null;
            if (link != null) CloseQuietly(link, session);
            _status = "Not connected.";
        }

        static async void CloseQuietly(EngineLink link, GwmSession session)
        {
            try
            {
                if (session != null) await session.CloseAsync();
            }
            catch (GwmLinkException)
            {
                // Already gone (idle-evicted, daemon stopped): nothing left to free.
            }
            await link.CloseAsync();
        }

        async void SeedFromSceneView()
        {
            var sceneView = SceneView.lastActiveSceneView;
            if (sceneView == null)
            {
                _status = "Open a Scene view first.";
                return;
            }
            _busy = true;
            _status = "Seeding from the Scene view…";
            try
            {
                CreateSessionRequest request;
                var capture = new GameObject("GWM seed camera") { hideFlags = HideFlags.HideAndDontSave };
                try
                {
                    var camera = capture.AddComponent<Camera>();
                    camera.CopyFrom(sceneView.camera);
                    camera.enabled = false;
                    camera.ResetAspect();  // the capture's own size decides the aspect, not the Scene view's
                    request = GwmCameraCapture.FromCamera(camera, _width, _height, _sceneDepth);
                }
                finally
                {
                    DestroyImmediate(capture);
                }
                var previous = _session;
                if (_stream != null) _stream.Dispose();
                _session = await _link.CreateSessionAsync(request);
                _stream = _session.Play();
                _view.Upload(_session.FirstFrame, false);
                _status = "Seeded " + _width + "x" + _height + " at " + request.FovDeg.ToString("F0") + "° from the Scene view.";
                if (previous != null) CloseQuietly(previous);
            }
            catch (Exception e)
            {
                _status = e.Message;
            }
            finally
            {
                _busy = false;
                Repaint();
            }
        }

        static async void CloseQuietly(GwmSession session)
        {
            try
            {
                await session.CloseAsync();
            }
            catch (GwmLinkException)
            {
                // Already gone: nothing left to free.
            }
        }

        async void SaveWorld()
        {
            string path = EditorUtility.SaveFilePanelInProject("Save world", "GwmWorld", "bytes",
                "A world file; set it as a GWM World View's World File to load it at runtime.");
            if (string.IsNullOrEmpty(path)) return;
            _busy = true;
            try
            {
                byte[] world = await _session.SaveWorldAsync();
                File.WriteAllBytes(path, world);  // a project-relative path: the editor runs in the project folder
                AssetDatabase.ImportAsset(path);
                EditorGUIUtility.PingObject(AssetDatabase.LoadAssetAtPath<TextAsset>(path));
                _status = "Saved " + path + " (" + world.Length / 1024 + " KiB).";
            }
            catch (Exception e)
            {
                _status = e.Message;
            }
            finally
            {
                _busy = false;
                Repaint();
            }
        }

        async void ExportGeometry()
        {
            string path = EditorUtility.SaveFilePanel("Export point cloud", "", "GwmWorld", "ply");
            if (string.IsNullOrEmpty(path)) return;
            _busy = true;
            try
            {
                var geometry = await _session.ExportGeometryAsync();
                File.WriteAllBytes(path, geometry.Ply);
                _status = "Exported " + geometry.PointCount + " points to " + path + " (world frame: right-handed, mirror z for Unity).";
            }
            catch (Exception e)
            {
                _status = e.Message;
            }
            finally
            {
                _busy = false;
                Repaint();
            }
        }
    }
}
